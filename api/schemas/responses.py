"""Response bodies: ``chat.completion``, ``text_completion`` and their logprobs and usage.

Encoded with ``omit_defaults=True``: a field whose default is ``None`` is left out when unset (OpenAI omits
``system_fingerprint``, ``tool_calls``, ``reasoning_content``). Fields OpenAI always sends, even as ``null``
(``message.content``, ``message.refusal``, ``choices[].logprobs``), have no default, so they are always encoded.
The ``object`` and ``role`` constants are msgspec tags, which are always encoded.

Logprobs must be finite: JSON has no ``-Infinity`` (OpenAI sends ``-9999.0`` for "very unlikely").
"""

from __future__ import annotations

from typing import Literal

import msgspec

from api.schemas.tools import ToolCall

ChatFinishReason = Literal["stop", "length", "tool_calls", "content_filter"]
CompletionFinishReason = Literal["stop", "length", "content_filter"]

_encoder = msgspec.json.Encoder()


def encode_response(obj: msgspec.Struct) -> bytes:
    """JSON bytes of a response, chunk or error struct (one shared encoder)."""
    return _encoder.encode(obj)


class Usage(msgspec.Struct, kw_only=True):
    """Token counts of a request."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    @classmethod
    def of(cls, prompt_tokens: int, completion_tokens: int) -> Usage:
        """Usage with ``total_tokens`` filled in."""
        return cls(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                   total_tokens=prompt_tokens + completion_tokens)


# --- chat logprobs --------------------------------------------------------------------------------------------


class TopLogprob(msgspec.Struct, kw_only=True):
    """One alternative at a position: ``bytes`` is the token's UTF-8 bytes (null if it has none)."""

    token: str
    logprob: float
    bytes: list[int] | None


class TokenLogprob(msgspec.Struct, kw_only=True):
    """The sampled token at a position and up to ``top_logprobs`` alternatives."""

    token: str
    logprob: float
    bytes: list[int] | None
    top_logprobs: list[TopLogprob]


class ChoiceLogprobs(msgspec.Struct, kw_only=True):
    """``choices[].logprobs`` of chat (both keys always sent)."""

    content: list[TokenLogprob] | None
    refusal: list[TokenLogprob] | None = None  # this struct does not omit defaults: always sent


# --- chat completion ------------------------------------------------------------------------------------------


class ChatCompletionMessage(msgspec.Struct, tag_field="role", tag="assistant", kw_only=True, omit_defaults=True):
    """The assistant message of a choice."""

    content: str | None
    refusal: str | None
    tool_calls: list[ToolCall] | None = None
    reasoning_content: str | None = None


class ChatCompletionChoice(msgspec.Struct, kw_only=True):
    """One of the ``n`` choices."""

    index: int
    message: ChatCompletionMessage
    logprobs: ChoiceLogprobs | None
    finish_reason: ChatFinishReason


class ChatCompletion(msgspec.Struct, tag_field="object", tag="chat.completion", kw_only=True, omit_defaults=True):
    """A whole (non-streamed) chat completion."""

    id: str
    created: int
    model: str
    choices: list[ChatCompletionChoice]
    usage: Usage | None = None
    system_fingerprint: str | None = None


# --- text completion ------------------------------------------------------------------------------------------


class CompletionLogprobs(msgspec.Struct, kw_only=True):
    """Legacy logprobs: parallel lists over the tokens of the choice (``text_offset`` in characters)."""

    tokens: list[str]
    token_logprobs: list[float | None]  # None for the first prompt token under echo (it has no context)
    top_logprobs: list[dict[str, float] | None]
    text_offset: list[int]


class CompletionChoice(msgspec.Struct, kw_only=True):
    """One choice of a text completion; ``finish_reason`` is null only in stream chunks before the last."""

    text: str
    index: int
    logprobs: CompletionLogprobs | None
    finish_reason: CompletionFinishReason | None


class Completion(msgspec.Struct, tag_field="object", tag="text_completion", kw_only=True, omit_defaults=True):
    """A text completion, or one chunk of a streamed one (same shape, as in OpenAI's API)."""

    id: str
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage | None = None
    system_fingerprint: str | None = None
