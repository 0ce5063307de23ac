"""Cross-field rules and derived values: one output constraint at a time, tool choice, conventions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.schemas import (
    ChatCompletionRequest,
    CompletionRequest,
    RequestError,
    ResponseFormatJsonSchema,
    decode_chat_request,
    decode_completion_request,
)

TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
CONSTRAINTS: dict[str, Any] = {
    "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "object"}}},
    "guided_json": {"type": "object"},
    "guided_regex": "a+",
    "guided_choice": ["a", "b"],
    "guided_grammar": "root ::= \"a\"",
    "tool_choice": "required",
}


def chat(**fields: Any) -> ChatCompletionRequest:
    return decode_chat_request(json.dumps({"model": "m", "messages": [{"role": "user", "content": "x"}], **fields}))


def completion(**fields: Any) -> CompletionRequest:
    return decode_completion_request(json.dumps({"model": "m", "prompt": "x", **fields}))


@pytest.mark.parametrize("first", list(CONSTRAINTS))
@pytest.mark.parametrize("second", list(CONSTRAINTS))
def test_two_constraints_conflict_naming_both(first: str, second: str) -> None:
    fields = {first: CONSTRAINTS[first], second: CONSTRAINTS[second], "tools": TOOLS}
    if first == second:
        assert chat(**fields).constraint_fields() == [first]
        return
    with pytest.raises(RequestError) as info:
        chat(**fields)
    assert f"'{first}'" in info.value.message and f"'{second}'" in info.value.message
    assert info.value.param in (first, second)


@pytest.mark.parametrize("fmt", [{"type": "json_object"}, {"type": "json_object", "schema": {}}])
def test_json_object_conflicts_with_named_tool_choice(fmt: dict[str, Any]) -> None:
    with pytest.raises(RequestError) as info:
        chat(response_format=fmt, tools=TOOLS, tool_choice={"type": "function", "function": {"name": "f"}})
    assert info.value.param == "tool_choice"


def test_non_forcing_tool_choice_and_text_format_do_not_constrain() -> None:
    request = chat(response_format={"type": "text"}, tools=TOOLS, tool_choice="auto", guided_regex="a")
    assert request.constraint_fields() == ["guided_regex"]
    assert chat(tools=TOOLS, tool_choice="none", guided_choice=["a"]).constraint_fields() == ["guided_choice"]
    assert chat(tools=TOOLS).forced_tool is None


def test_forced_tool_values() -> None:
    assert chat(tools=TOOLS, tool_choice="required").forced_tool == "required"
    assert chat(tools=TOOLS, tool_choice={"type": "function", "function": {"name": "f"}}).forced_tool == "f"


def test_guided_json_text_is_parsed() -> None:
    assert chat(guided_json='{"type": "integer"}').guided_json == {"type": "integer"}


def test_response_format_json_schema_fields() -> None:
    fmt = chat(**{k: v for k, v in CONSTRAINTS.items() if k == "response_format"}).response_format
    assert isinstance(fmt, ResponseFormatJsonSchema)
    assert (fmt.json_schema.name, fmt.json_schema.schema, fmt.json_schema.strict) == ("s", {"type": "object"}, None)


@pytest.mark.parametrize(("top_k", "limit"), [(None, None), (-1, None), (0, None), (1, 1), (40, 40)])
def test_top_k_vllm_convention(top_k: int | None, limit: int | None) -> None:
    assert chat(top_k=top_k).top_k_limit == limit


def test_derived_values() -> None:
    assert chat(stop="x").stop_list == ["x"] and chat().stop_list == []
    assert chat(max_tokens=5).max_new_tokens == 5
    assert chat(max_completion_tokens=7).max_new_tokens == 7
    assert chat(max_tokens=7, max_completion_tokens=7).max_new_tokens == 7
    assert chat().max_new_tokens is None and chat().num_choices == 1 and chat(n=3).num_choices == 3
    assert chat(stream=True, stream_options={"include_usage": True}).include_usage
    assert not chat(stream=True).include_usage
    assert chat().wants_generation_prompt and not chat(add_generation_prompt=False).wants_generation_prompt
    continuing = decode_chat_request(json.dumps({"model": "m", "continue_final_message": True, "messages": [
        {"role": "user", "content": "x"}, {"role": "assistant", "content": "pre"}]}))
    assert not continuing.wants_generation_prompt
    assert chat().context_length_exceeded_behavior == "truncate"


def test_completion_defaults_and_prompts() -> None:
    assert completion().max_tokens == 16 and completion().add_special_tokens
    assert completion().prompts == ["x"]
    assert completion(prompt=["a", "b"]).prompts == ["a", "b"]
    assert completion(prompt=[1, 2]).prompts == [[1, 2]]
    assert completion(prompt=[[1], [2, 3]]).prompts == [[1], [2, 3]]


def test_unknown_fields_are_accepted_and_ignored() -> None:
    request = chat(vendor_extension={"a": 1}, x_trace="t", logit_scale=3)
    assert not hasattr(request, "vendor_extension")
    assert completion(some_vendor_flag=True).prompt == "x"


def test_top_logprobs_zero_without_logprobs_is_a_no_op() -> None:
    assert chat(top_logprobs=0).top_logprobs == 0


def test_greedy_with_n_is_fine() -> None:
    assert chat(temperature=0, n=4).num_choices == 4
