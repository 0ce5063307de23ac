"""Streamed chat: ``chat.completion.chunk`` and its delta.

In a delta every key is optional and ``null`` differs from absent (OpenAI's first tool-call delta sends
``"content": null``; the last chunk's delta is ``{}``), so the delta fields default to ``msgspec.UNSET``, which is
never encoded, while ``None`` is encoded as ``null``. ``choices[].logprobs`` and ``choices[].finish_reason`` are
always sent (``null`` until set). ``usage`` is absent unless the request set ``stream_options.include_usage``; then
it is ``null`` on every chunk except the last, which carries the usage and an empty ``choices`` list.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from api.schemas.responses import ChatFinishReason, ChoiceLogprobs, Usage


class FunctionCallDelta(msgspec.Struct, kw_only=True):
    """A piece of a streamed function call: the name once, then argument text in pieces."""

    name: str | UnsetType = UNSET
    arguments: str | UnsetType = UNSET


class ToolCallDelta(msgspec.Struct, kw_only=True):
    """A piece of the tool call at ``index``: ``id`` and ``type`` come with its first piece."""

    index: int
    id: str | UnsetType = UNSET
    type: str | UnsetType = UNSET
    function: FunctionCallDelta | UnsetType = UNSET


class ChatCompletionDelta(msgspec.Struct, kw_only=True):
    """What a chunk adds to the message (``role`` on the first chunk only)."""

    role: str | UnsetType = UNSET
    content: str | None | UnsetType = UNSET
    tool_calls: list[ToolCallDelta] | UnsetType = UNSET
    reasoning_content: str | None | UnsetType = UNSET


class ChatCompletionChunkChoice(msgspec.Struct, kw_only=True):
    """One choice's delta; ``finish_reason`` is set on its last chunk."""

    index: int
    delta: ChatCompletionDelta
    logprobs: ChoiceLogprobs | None = None
    finish_reason: ChatFinishReason | None = None


class ChatCompletionChunk(msgspec.Struct, tag_field="object", tag="chat.completion.chunk", kw_only=True):
    """One server-sent event of a streamed chat completion (same ``id`` and ``created`` on every chunk)."""

    id: str
    created: int
    model: str
    choices: list[ChatCompletionChunkChoice]
    usage: Usage | None | UnsetType = UNSET
    system_fingerprint: str | UnsetType = UNSET

    @classmethod
    def usage_chunk(cls, *, id: str, created: int, model: str, usage: Usage) -> ChatCompletionChunk:
        """The last chunk of a stream with ``include_usage``: empty ``choices`` and the usage."""
        return cls(id=id, created=created, model=model, choices=[], usage=usage)
