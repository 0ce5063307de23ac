"""Chat messages (tagged on ``"role"``) and their content parts (tagged on ``"type"``).

Every part type OpenAI defines is *decoded*, so that a part this server cannot use is refused by name
(``content part type 'image_url' is not supported``) instead of failing as an anonymous union mismatch.
This server runs text-only models: only ``text`` parts (and ``refusal`` parts in assistant turns) are accepted.
"""

from __future__ import annotations

from typing import Any

import msgspec

from api.schemas.errors import FieldError
from api.schemas.tools import ToolCall

# --- content parts ------------------------------------------------------------------------------------------


class TextPart(msgspec.Struct, tag_field="type", tag="text"):
    """``{"type": "text", "text": ...}``."""

    text: str


class RefusalPart(msgspec.Struct, tag_field="type", tag="refusal"):
    """``{"type": "refusal", "refusal": ...}``; allowed in assistant turns only."""

    refusal: str


class ImageUrlPart(msgspec.Struct, tag_field="type", tag="image_url"):
    """An image part; decoded only to be refused by name."""

    image_url: dict[str, Any] | None = None


class InputAudioPart(msgspec.Struct, tag_field="type", tag="input_audio"):
    """An audio part; decoded only to be refused by name."""

    input_audio: dict[str, Any] | None = None


class FilePart(msgspec.Struct, tag_field="type", tag="file"):
    """A file part; decoded only to be refused by name."""

    file: dict[str, Any] | None = None


ContentPart = TextPart | RefusalPart | ImageUrlPart | InputAudioPart | FilePart
Content = str | list[ContentPart]

SUPPORTED_PART_TYPES = ("text",)


def _check_parts(content: Content | None, *, allow_refusal: bool = False) -> None:
    """Refuse non-text parts, naming the part type and its index."""
    if not isinstance(content, list):
        return
    for i, part in enumerate(content):
        if isinstance(part, TextPart) or (allow_refusal and isinstance(part, RefusalPart)):
            continue
        kind = type(part).__struct_config__.tag
        hint = "only 'text' parts are accepted" + (" (and 'refusal' in assistant turns)" if allow_refusal else "")
        if isinstance(part, RefusalPart):
            hint = "'refusal' parts are only allowed in assistant messages"
        raise FieldError(f"content[{i}].type", f"content part type '{kind}' is not supported by this text-only "
                         f"server: {hint}")


def content_text(content: Content | None) -> str:
    """The text of a message's content: the string itself, or its text parts joined without separator."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(p.text if isinstance(p, TextPart) else p.refusal if isinstance(p, RefusalPart) else ""
                   for p in content)


# --- messages -----------------------------------------------------------------------------------------------


class SystemMessage(msgspec.Struct, tag_field="role", tag="system"):
    """A system instruction."""

    content: Content
    name: str | None = None

    def __post_init__(self) -> None:
        _check_parts(self.content)


class DeveloperMessage(msgspec.Struct, tag_field="role", tag="developer"):
    """A developer instruction (OpenAI's newer name for system); rendered like a system message."""

    content: Content
    name: str | None = None

    def __post_init__(self) -> None:
        _check_parts(self.content)


class UserMessage(msgspec.Struct, tag_field="role", tag="user"):
    """A user turn."""

    content: Content
    name: str | None = None

    def __post_init__(self) -> None:
        _check_parts(self.content)


class AssistantMessage(msgspec.Struct, tag_field="role", tag="assistant"):
    """A previous assistant turn: text, tool calls, or both (``content`` may be null only with tool calls)."""

    content: Content | None = None
    refusal: str | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    reasoning_content: str | None = None  # vLLM/DeepSeek: earlier reasoning, for templates that render it
    function_call: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        _check_parts(self.content, allow_refusal=True)
        if self.function_call is not None:
            raise FieldError("function_call", "the deprecated 'function_call' is not supported: send 'tool_calls'")
        if self.content is None and not self.tool_calls and self.refusal is None:
            raise FieldError("content", "an assistant message needs 'content' unless it has 'tool_calls'")


class ToolMessage(msgspec.Struct, tag_field="role", tag="tool"):
    """The result of a tool call, answering ``tool_call_id``."""

    content: Content
    tool_call_id: str

    def __post_init__(self) -> None:
        _check_parts(self.content)


ChatMessage = SystemMessage | DeveloperMessage | UserMessage | AssistantMessage | ToolMessage

MESSAGE_ROLES = ("system", "developer", "user", "assistant", "tool")
