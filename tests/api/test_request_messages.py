"""Chat messages: roles, content forms, refused part types (named), tool turns; and the decoder's error paths."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.schemas import (
    AssistantMessage,
    DeveloperMessage,
    RequestError,
    SystemMessage,
    ToolMessage,
    UserMessage,
    content_text,
    decode_chat_request,
)
from tests.api.samples import CONVERSATION


def _decode(messages: list[dict[str, Any]], **extra: Any) -> Any:
    return decode_chat_request(json.dumps({"model": "m", "messages": messages, **extra}))


def test_all_roles_decode_to_their_types() -> None:
    request = _decode(CONVERSATION)
    kinds = [type(m) for m in request.messages]
    assert kinds == [DeveloperMessage, SystemMessage, UserMessage, AssistantMessage, ToolMessage, AssistantMessage,
                     UserMessage]
    call = request.messages[3].tool_calls[0]
    assert (call.id, call.function.name, call.function.arguments) == ("call_abc", "get_weather", '{"city":"Paris"}')
    assert request.messages[4].tool_call_id == "call_abc"
    assert [content_text(m.content) for m in request.messages][-2:] == ["18C and sunny.", "And tomorrow?"]


def test_text_parts_are_joined_and_refusal_parts_allowed_for_assistant() -> None:
    parts = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
    request = _decode([{"role": "user", "content": parts},
                       {"role": "assistant", "content": [{"type": "refusal", "refusal": "no"}]}])
    assert content_text(request.messages[0].content) == "ab"
    assert content_text(request.messages[1].content) == "no"


@pytest.mark.parametrize(("part", "kind"), [
    ({"type": "image_url", "image_url": {"url": "https://x/y.png"}}, "image_url"),
    ({"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}, "input_audio"),
    ({"type": "file", "file": {"file_id": "f"}}, "file"),
    ({"type": "refusal", "refusal": "no"}, "refusal"),
])
def test_non_text_parts_are_refused_by_name(part: dict[str, Any], kind: str) -> None:
    content = [{"type": "text", "text": "look"}, part]
    with pytest.raises(RequestError) as info:
        _decode([{"role": "system", "content": "s"}, {"role": "user", "content": content}])
    assert info.value.param == "messages[1].content[1].type"
    assert f"'{kind}'" in info.value.message


def test_unknown_part_type_is_refused_naming_it() -> None:
    with pytest.raises(RequestError) as info:
        _decode([{"role": "user", "content": [{"type": "video_url", "video_url": {"url": "x"}}]}])
    assert info.value.param == "messages[0].content[0].type"
    assert "'video_url'" in info.value.message and "text" in info.value.message


@pytest.mark.parametrize(("messages", "param"), [
    ([], "messages"),
    ([{"role": "function", "name": "f", "content": "x"}], "messages[0].role"),
    ([{"content": "x"}], "messages[0].role"),
    ([{"role": "user"}], "messages[0].content"),
    ([{"role": "user", "content": 5}], "messages[0].content"),
    ([{"role": "user", "content": "a"}, {"role": "system", "content": None}], "messages[1].content"),
    ([{"role": "tool", "content": "x"}], "messages[0].tool_call_id"),
    ([{"role": "assistant"}], "messages[0].content"),
    ([{"role": "assistant", "content": None, "function_call": {"name": "f", "arguments": "{}"}}],
     "messages[0].function_call"),
    ([{"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f"}}]}],
     "messages[0].tool_calls[0].function.arguments"),
    ([{"role": "assistant", "tool_calls": [{"id": "c", "type": "custom", "custom": {}}]}],
     "messages[0].tool_calls[0].type"),
    ([{"role": "user", "content": [{"type": "text"}]}], "messages[0].content[0].text"),
    ([{"role": "user", "content": [{"text": "x"}]}], "messages[0].content[0].type"),
])
def test_bad_messages_name_the_field(messages: list[Any], param: str) -> None:
    with pytest.raises(RequestError) as info:
        _decode(messages)
    assert info.value.param == param, info.value.message


def test_role_error_lists_the_roles() -> None:
    with pytest.raises(RequestError) as info:
        _decode([{"role": "function", "content": "x"}])
    assert "'function'" in info.value.message and "developer" in info.value.message


def test_assistant_tool_calls_without_content_are_fine() -> None:
    request = _decode([{"role": "assistant", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}])
    assert request.messages[0].content is None


@pytest.mark.parametrize(("body", "message"), [
    (b"", "not valid JSON"), (b"{", "not valid JSON"), (b"[]", "JSON object"), (b"null", "JSON object"),
    (b'"x"', "JSON object"),
])
def test_body_errors_have_no_param(body: bytes, message: str) -> None:
    with pytest.raises(RequestError) as info:
        decode_chat_request(body)
    assert info.value.param is None and message in info.value.message


def test_missing_required_top_level_fields() -> None:
    with pytest.raises(RequestError) as info:
        decode_chat_request(b'{"model": "m"}')
    assert info.value.param == "messages" and "messages" in info.value.message
