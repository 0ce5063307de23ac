"""Exact wire shapes of our responses: what is always sent (even as null), what is omitted, and the tags."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from api.schemas import (
    ChatCompletionChunk,
    ChatCompletionChunkChoice,
    ChatCompletionDelta,
    ChatCompletionMessage,
    CompletionChoice,
    ErrorResponse,
    RequestError,
    Usage,
    encode_response,
)
from tests.api import samples


def wire(obj: msgspec.Struct) -> Any:
    return json.loads(encode_response(obj))


def test_chat_completion_shape() -> None:
    body = wire(samples.chat_text())
    assert body["object"] == "chat.completion" and body["system_fingerprint"] == "fp_constrained"
    assert body["usage"] == {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}
    choice = body["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": '{"name": "Ada"}', "refusal": None}
    assert choice["finish_reason"] == "stop" and choice["logprobs"]["refusal"] is None
    top = choice["logprobs"]["content"][0]
    assert set(top) == {"token", "logprob", "bytes", "top_logprobs"} and top["bytes"] == [123]


def test_always_sent_nulls_are_present_and_optional_keys_omitted() -> None:
    body = wire(samples.chat_tool_calls())
    choice = body["choices"][0]
    assert choice["logprobs"] is None and choice["message"]["content"] is None and choice["message"]["refusal"] is None
    assert "system_fingerprint" not in body and "reasoning_content" not in choice["message"]
    assert choice["message"]["tool_calls"][0] == {"type": "function", "id": "call_abc", "function": {
        "name": "get_weather", "arguments": '{"city": "Paris"}'}}
    assert "tool_calls" not in wire(ChatCompletionMessage(content="x", refusal=None))
    assert wire(samples.chat_n2_length())["choices"][1]["message"]["reasoning_content"] == "thinking"


def test_chunk_choice_defaults_are_sent_as_null() -> None:
    choice = ChatCompletionChunkChoice(index=0, delta=ChatCompletionDelta())
    assert wire(choice) == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": None}


def test_delta_distinguishes_null_from_absent() -> None:
    assert wire(ChatCompletionDelta(content=None)) == {"content": None}
    assert wire(ChatCompletionDelta(role="assistant", content="")) == {"role": "assistant", "content": ""}
    first, *_, last = samples.tool_stream()
    delta = wire(first)["choices"][0]["delta"]
    assert delta["content"] is None and delta["tool_calls"][0] == {
        "index": 0, "id": "call_abc", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
    assert wire(samples.tool_stream()[1])["choices"][0]["delta"]["tool_calls"][0] == {
        "index": 0, "function": {"arguments": '{"city": '}}
    assert wire(last)["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "tool_calls"}


def test_usage_key_absent_null_or_set() -> None:
    assert "usage" not in wire(samples.tool_stream()[0])
    stream = [wire(c) for c in samples.text_stream()]
    assert [c["usage"] is None for c in stream] == [True] * 4 + [False]
    assert stream[-1]["choices"] == [] and stream[-1]["usage"]["total_tokens"] == 7
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == samples.ID for c in stream)
    bare = ChatCompletionChunk(id="c", created=1, model="m", choices=[])
    assert wire(bare) == {"object": "chat.completion.chunk", "id": "c", "created": 1, "model": "m", "choices": []}


def test_completion_shapes() -> None:
    body = wire(samples.completion())
    assert body["object"] == "text_completion"
    assert body["choices"][0]["logprobs"] == {"tokens": ["Hello", " world"], "token_logprobs": [-0.5, -1.25],
                                              "top_logprobs": [{"Hello": -0.5, "Hi": -1.0},
                                                               {" world": -1.25, " there": -2.0}],
                                              "text_offset": [0, 5]}
    chunk = wire(samples.completion_chunk())
    assert chunk["choices"][0] == {"text": " wor", "index": 0, "logprobs": None, "finish_reason": None}
    assert "usage" not in chunk
    assert wire(CompletionChoice(text="", index=1, logprobs=None, finish_reason="length"))["finish_reason"] == "length"


def test_error_shape() -> None:
    assert wire(ErrorResponse.from_request_error(RequestError("bad", None))) == {
        "error": {"message": "bad", "type": "invalid_request_error", "param": None, "code": None}}
    assert wire(samples.error())["error"]["param"] == "top_logprobs"


def test_usage_total() -> None:
    assert Usage.of(3, 4).total_tokens == 7
