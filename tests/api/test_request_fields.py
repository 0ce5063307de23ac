"""Every request field: accepted with valid values, refused out of range with ``param`` naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.schemas import RequestError, decode_chat_request, decode_completion_request

USER = {"role": "user", "content": "hi"}
BASE_CHAT: dict[str, Any] = {"model": "m", "messages": [USER]}
BASE_COMPLETION: dict[str, Any] = {"model": "m", "prompt": "hi"}

# (field, value, extra fields sent with it)
CHAT_VALID: list[tuple[str, Any, dict[str, Any]]] = [
    ("model", "smollm2", {}),
    ("temperature", 0, {}), ("temperature", 2, {}), ("temperature", 0.7, {}), ("temperature", None, {}),
    ("top_p", 1, {}), ("top_p", 0.01, {}),
    ("top_k", -1, {}), ("top_k", 0, {}), ("top_k", 1, {}), ("top_k", 50, {}),
    ("min_p", 0, {}), ("min_p", 1, {}),
    ("n", 1, {}), ("n", 128, {}),
    ("seed", 0, {}), ("seed", -1, {}), ("seed", 2**63 - 1, {}),
    ("stop", "\n", {}), ("stop", ["a", "b", "c", "d"], {}), ("stop", [], {}), ("stop", None, {}),
    ("max_tokens", 1, {}), ("max_completion_tokens", 4096, {}),
    ("presence_penalty", -2, {}), ("presence_penalty", 2, {}),
    ("frequency_penalty", -2, {}), ("frequency_penalty", 2.0, {}),
    ("repetition_penalty", 0.5, {}), ("repetition_penalty", 2, {}),
    ("logit_bias", {"50256": -100, "0": 100, "7": 1.5}, {}),
    ("logprobs", True, {}), ("logprobs", False, {}),
    ("top_logprobs", 0, {}), ("top_logprobs", 20, {"logprobs": True}),
    ("response_format", {"type": "text"}, {}),
    ("response_format", {"type": "json_object"}, {}),
    ("response_format", {"type": "json_object", "schema": {"type": "object"}}, {}),
    ("response_format", {"type": "json_schema", "json_schema": {"name": "a-b_1", "schema": {}, "strict": True,
                                                                "description": "d"}}, {}),
    ("stream", True, {}), ("stream_options", {"include_usage": True}, {"stream": True}),
    ("tools", [{"type": "function", "function": {"name": "f"}}], {}),
    ("tool_choice", "none", {}), ("tool_choice", "auto", {}),
    ("tool_choice", "required", {"tools": [{"type": "function", "function": {"name": "f"}}]}),
    ("tool_choice", {"type": "function", "function": {"name": "f"}},
     {"tools": [{"type": "function", "function": {"name": "f"}}]}),
    ("parallel_tool_calls", False, {}),
    ("context_length_exceeded_behavior", "truncate", {}), ("context_length_exceeded_behavior", "error", {}),
    ("user", "u", {}), ("metadata", {"k": "v"}, {}), ("store", True, {}), ("service_tier", "flex", {}),
    ("prompt_cache_key", "k", {}), ("reasoning_effort", "high", {}), ("verbosity", "low", {}),
    ("safety_identifier", "s", {}), ("modalities", ["text"], {}),
    ("prediction", {"type": "content", "content": "x"}, {}),
    ("prediction", {"type": "content", "content": [{"type": "text", "text": "x"}]}, {}),
    ("guided_json", {"type": "object"}, {}), ("guided_json", '{"type": "object"}', {}),
    ("guided_regex", "[a-z]+", {}), ("guided_choice", ["yes", "no"], {}), ("guided_grammar", "root ::= \"a\"", {}),
    ("guided_whitespace_pattern", "[ ]?", {"guided_json": {}}),
    ("guided_decoding_backend", "xgrammar", {}),
    ("echo", True, {}), ("add_generation_prompt", False, {}), ("add_special_tokens", True, {}),
    ("documents", [{"title": "t", "text": "x"}], {}), ("chat_template", "{{ messages }}", {}),
    ("chat_template_kwargs", {"enable_thinking": False}, {}), ("include_stop_str_in_output", True, {}),
    ("ignore_eos", True, {}), ("min_tokens", 5, {"max_tokens": 5}), ("priority", -3, {}), ("request_id", "r", {}),
    ("continue_final_message", True,
     {"messages": [USER, {"role": "assistant", "content": "par"}], "add_generation_prompt": False}),
]

# (field, value, extra, expected param)
CHAT_INVALID: list[tuple[str, Any, dict[str, Any], str]] = [
    ("model", 5, {}, "model"),
    ("temperature", -0.1, {}, "temperature"), ("temperature", 2.01, {}, "temperature"),
    ("temperature", "hot", {}, "temperature"),
    ("top_p", 0, {}, "top_p"), ("top_p", 1.5, {}, "top_p"),
    ("top_k", -2, {}, "top_k"), ("top_k", 1.5, {}, "top_k"),
    ("min_p", -0.1, {}, "min_p"), ("min_p", 1.1, {}, "min_p"),
    ("n", 0, {}, "n"), ("n", 129, {}, "n"),
    ("seed", 2**63, {}, "seed"), ("seed", "x", {}, "seed"),
    ("stop", ["a", "b", "c", "d", "e"], {}, "stop"), ("stop", 5, {}, "stop"), ("stop", "", {}, "stop"),
    ("stop", ["a", ""], {}, "stop[1]"), ("stop", [1], {}, "stop[0]"),
    ("max_tokens", 0, {}, "max_tokens"), ("max_tokens", -1, {}, "max_tokens"),
    ("max_completion_tokens", 0, {}, "max_completion_tokens"),
    ("max_completion_tokens", 10, {"max_tokens": 20}, "max_completion_tokens"),
    ("presence_penalty", -2.1, {}, "presence_penalty"), ("presence_penalty", 2.1, {}, "presence_penalty"),
    ("frequency_penalty", -2.1, {}, "frequency_penalty"), ("frequency_penalty", 3, {}, "frequency_penalty"),
    ("repetition_penalty", 0, {}, "repetition_penalty"), ("repetition_penalty", 2.1, {}, "repetition_penalty"),
    ("logit_bias", {"x": 1}, {}, "logit_bias"), ("logit_bias", {"-1": 1}, {}, "logit_bias"),
    ("logit_bias", {"1": 101}, {}, "logit_bias"), ("logit_bias", {"1": -100.5}, {}, "logit_bias"),
    ("logit_bias", {"1": "x"}, {}, "logit_bias"), ("logit_bias", [1], {}, "logit_bias"),
    ("logprobs", 1, {}, "logprobs"), ("logprobs", "yes", {}, "logprobs"),
    ("top_logprobs", 21, {"logprobs": True}, "top_logprobs"), ("top_logprobs", -1, {"logprobs": True}, "top_logprobs"),
    ("top_logprobs", 3, {}, "top_logprobs"), ("top_logprobs", 3, {"logprobs": False}, "top_logprobs"),
    ("response_format", {"type": "xml"}, {}, "response_format.type"),
    ("response_format", {"type": "structural_tag"}, {}, "response_format.type"),
    ("response_format", {}, {}, "response_format.type"),
    ("response_format", "json", {}, "response_format"),
    ("response_format", {"type": "json_schema"}, {}, "response_format.json_schema"),
    ("response_format", {"type": "json_schema", "json_schema": {"schema": {}}}, {}, "response_format.json_schema.name"),
    ("response_format", {"type": "json_schema", "json_schema": {"name": "bad name!"}}, {},
     "response_format.json_schema.name"),
    ("response_format", {"type": "json_schema", "json_schema": {"name": "a", "schema": []}}, {},
     "response_format.json_schema.schema"),
    ("response_format", {"type": "json_schema", "json_schema": {"name": "a", "strict": "yes"}}, {},
     "response_format.json_schema.strict"),
    ("response_format", {"type": "json_object", "schema": "x"}, {}, "response_format.schema"),
    ("stream", "yes", {}, "stream"),
    ("stream_options", {"include_usage": True}, {}, "stream_options"),
    ("stream_options", {"include_usage": "x"}, {"stream": True}, "stream_options.include_usage"),
    ("tools", [{"type": "custom", "custom": {"name": "f"}}], {}, "tools[0].type"),
    ("tools", [{"type": "function", "function": {"name": "bad name"}}], {}, "tools[0].function.name"),
    ("tools", [{"type": "function", "function": {"description": "no name"}}], {}, "tools[0].function.name"),
    ("tools", [{"type": "function", "function": {"name": "f", "parameters": []}}], {}, "tools[0].function.parameters"),
    ("tools", [{"type": "function", "function": {"name": "f"}}, {"type": "function", "function": {"name": "f"}}],
     {}, "tools[1].function.name"),
    ("tool_choice", "always", {}, "tool_choice"),
    ("tool_choice", {"type": "allowed_tools", "allowed_tools": {}}, {}, "tool_choice.type"),
    ("tool_choice", "required", {}, "tool_choice"),
    ("tool_choice", {"type": "function", "function": {"name": "g"}},
     {"tools": [{"type": "function", "function": {"name": "f"}}]}, "tool_choice.function.name"),
    ("parallel_tool_calls", "x", {}, "parallel_tool_calls"),
    ("context_length_exceeded_behavior", "drop", {}, "context_length_exceeded_behavior"),
    ("user", 5, {}, "user"), ("metadata", {"k": 1}, {}, "metadata"),
    ("metadata", {str(i): "v" for i in range(17)}, {}, "metadata"), ("metadata", {"k" * 65: "v"}, {}, "metadata"),
    ("store", "x", {}, "store"), ("service_tier", 1, {}, "service_tier"),
    ("prompt_cache_key", 1, {}, "prompt_cache_key"),
    ("reasoning_effort", "extreme", {}, "reasoning_effort"),
    ("safety_identifier", "s" * 65, {}, "safety_identifier"), ("verbosity", "loud", {}, "verbosity"),
    ("modalities", ["text", "audio"], {}, "modalities"), ("audio", {"voice": "alloy", "format": "wav"}, {}, "audio"),
    ("web_search_options", {}, {}, "web_search_options"),
    ("functions", [{"name": "f"}], {}, "functions"), ("function_call", "auto", {}, "function_call"),
    ("prediction", {"type": "content"}, {}, "prediction.content"),
    ("prediction", {"type": "diff", "content": "x"}, {}, "prediction.type"),
    ("guided_json", "{not json", {}, "guided_json"), ("guided_json", "[1]", {}, "guided_json"),
    ("guided_json", 5, {}, "guided_json"),
    ("guided_regex", 5, {}, "guided_regex"), ("guided_choice", [], {}, "guided_choice"),
    ("guided_choice", [1], {}, "guided_choice[0]"), ("guided_grammar", 5, {}, "guided_grammar"),
    ("guided_whitespace_pattern", "[ ]?", {}, "guided_whitespace_pattern"),
    ("guided_decoding_backend", 5, {}, "guided_decoding_backend"),
    ("structured_outputs", {"json": {}}, {}, "structured_outputs"),
    ("echo", "x", {}, "echo"), ("add_generation_prompt", "x", {}, "add_generation_prompt"),
    ("add_special_tokens", 1, {}, "add_special_tokens"), ("documents", "doc", {}, "documents"),
    ("chat_template", 5, {}, "chat_template"), ("chat_template_kwargs", [], {}, "chat_template_kwargs"),
    ("include_stop_str_in_output", 1, {}, "include_stop_str_in_output"), ("ignore_eos", "x", {}, "ignore_eos"),
    ("min_tokens", -1, {}, "min_tokens"), ("min_tokens", 10, {"max_tokens": 5}, "min_tokens"),
    ("priority", 1.5, {}, "priority"), ("request_id", 5, {}, "request_id"),
    ("continue_final_message", True, {}, "continue_final_message"),  # last message is a user turn
    ("continue_final_message", True, {"messages": [USER, {"role": "assistant", "content": "p"}],
                                      "add_generation_prompt": True}, "continue_final_message"),
]

COMPLETION_VALID: list[tuple[str, Any, dict[str, Any]]] = [
    ("prompt", "x", {}), ("prompt", ["a", "b"], {}), ("prompt", [1, 2], {}), ("prompt", [[1, 2], [3]], {}),
    ("prompt", "", {}), ("suffix", None, {}),
    ("max_tokens", 0, {}), ("max_tokens", 16, {}), ("max_tokens", None, {}),
    ("logprobs", 0, {}), ("logprobs", 5, {}), ("echo", True, {}),
    ("best_of", 1, {}), ("best_of", 3, {"n": 3}), ("n", 4, {}),
    ("temperature", 0, {}), ("top_p", 1, {}), ("top_k", 5, {}), ("min_p", 0.1, {}), ("seed", 7, {}),
    ("stop", ["a", "b"], {}), ("presence_penalty", 1, {}), ("frequency_penalty", -1, {}),
    ("repetition_penalty", 1.2, {}), ("logit_bias", {"3": 10}, {}), ("user", "u", {}),
    ("stream", True, {}), ("stream_options", {"include_usage": True}, {"stream": True}),
    ("response_format", {"type": "json_object"}, {}),
    ("guided_json", {"type": "object"}, {}), ("guided_regex", "a", {}), ("guided_choice", ["a"], {}),
    ("guided_grammar", "root ::= \"a\"", {}), ("add_special_tokens", False, {}), ("min_tokens", 2, {}),
    ("include_stop_str_in_output", True, {}), ("ignore_eos", True, {}), ("priority", 2, {}), ("request_id", "r", {}),
]

COMPLETION_INVALID: list[tuple[str, Any, dict[str, Any], str]] = [
    ("prompt", 5, {}, "prompt"), ("prompt", [], {}, "prompt"), ("prompt", [1, "a"], {}, "prompt"),
    ("prompt", [[1], "a"], {}, "prompt"), ("prompt", [[]], {}, "prompt[0]"), ("prompt", [-1], {}, "prompt[0]"),
    ("prompt", [[1], [-2]], {}, "prompt[1]"), ("prompt", [[1, "a"]], {}, "prompt[0][1]"),
    ("suffix", "tail", {}, "suffix"),
    ("max_tokens", -1, {}, "max_tokens"), ("logprobs", 6, {}, "logprobs"), ("logprobs", -1, {}, "logprobs"),
    ("logprobs", True, {}, "logprobs"), ("echo", "x", {}, "echo"),
    ("best_of", 2, {}, "best_of"), ("best_of", 1, {"n": 2}, "best_of"), ("best_of", 0, {}, "best_of"),
    ("best_of", 21, {"n": 21}, "best_of"), ("n", 0, {}, "n"),
    ("temperature", 3, {}, "temperature"), ("top_p", 0, {}, "top_p"), ("top_k", -5, {}, "top_k"),
    ("stop", ["a"] * 5, {}, "stop"), ("logit_bias", {"a": 1}, {}, "logit_bias"),
    ("stream_options", {"include_usage": True}, {}, "stream_options"),
    ("min_tokens", 20, {}, "min_tokens"),  # more than the default max_tokens (16)
    ("guided_regex", "a", {"guided_choice": ["a"]}, "guided_choice"),
    ("response_format", {"type": "json_object"}, {"guided_json": {}}, "guided_json"),
]


def _chat(field: str, value: Any, extra: dict[str, Any]) -> bytes:
    return json.dumps({**BASE_CHAT, field: value, **extra}).encode()


def _completion(field: str, value: Any, extra: dict[str, Any]) -> bytes:
    return json.dumps({**BASE_COMPLETION, field: value, **extra}).encode()


@pytest.mark.parametrize(("field", "value", "extra"), CHAT_VALID, ids=lambda v: repr(v)[:40])
def test_chat_field_accepted(field: str, value: Any, extra: dict[str, Any]) -> None:
    request = decode_chat_request(_chat(field, value, extra))
    if field not in ("guided_json",) and field in request.__struct_fields__ and not isinstance(value, dict):
        assert getattr(request, field) == value or isinstance(value, list)


@pytest.mark.parametrize(("field", "value", "extra", "param"), CHAT_INVALID, ids=lambda v: repr(v)[:40])
def test_chat_field_refused_with_param(field: str, value: Any, extra: dict[str, Any], param: str) -> None:
    with pytest.raises(RequestError) as info:
        decode_chat_request(_chat(field, value, extra))
    assert info.value.param == param, info.value.message
    assert field.split("_")[0] in info.value.message or param in info.value.message, info.value.message


@pytest.mark.parametrize(("field", "value", "extra"), COMPLETION_VALID, ids=lambda v: repr(v)[:40])
def test_completion_field_accepted(field: str, value: Any, extra: dict[str, Any]) -> None:
    request = decode_completion_request(_completion(field, value, extra))
    if not isinstance(value, (dict, list)):
        assert getattr(request, field) == value


@pytest.mark.parametrize(("field", "value", "extra", "param"), COMPLETION_INVALID, ids=lambda v: repr(v)[:40])
def test_completion_field_refused_with_param(field: str, value: Any, extra: dict[str, Any], param: str) -> None:
    with pytest.raises(RequestError) as info:
        decode_completion_request(_completion(field, value, extra))
    assert info.value.param == param, info.value.message


def test_every_chat_field_is_covered_both_ways() -> None:
    from api.schemas import ChatCompletionRequest

    fields = set(ChatCompletionRequest.__struct_fields__) - {"messages"}
    accepted = {f for f, _, _ in CHAT_VALID}
    refused = {f for f, _, _, _ in CHAT_INVALID}
    # refused-by-name fields have no valid non-null value
    assert fields - accepted <= {"audio", "web_search_options", "functions", "function_call", "structured_outputs"}
    assert fields - refused == set()


def test_every_completion_field_is_covered() -> None:
    from api.schemas import CompletionRequest

    fields = set(CompletionRequest.__struct_fields__)
    tested = {f for f, *_ in COMPLETION_VALID} | {f for f, *_ in COMPLETION_INVALID}
    assert fields - tested <= {"model", "guided_whitespace_pattern", "guided_decoding_backend", "structured_outputs"}
