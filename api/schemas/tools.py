"""Tools: function definitions, ``tool_choice``, and the tool calls of assistant messages.

Only ``type: "function"`` tools exist here; OpenAI's ``custom`` tools and ``allowed_tools`` choice are refused by
the tag check (``Invalid value 'custom'`` at ``tools[0].type``). Names follow OpenAI's rule
``^[a-zA-Z0-9_-]{1,64}$`` because the name is emitted verbatim by a constrained tool call.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

FunctionName = Annotated[str, msgspec.Meta(pattern=r"^[a-zA-Z0-9_-]{1,64}$")]


class FunctionDefinition(msgspec.Struct):
    """A callable function: ``parameters`` is a JSON Schema object (absent = no arguments)."""

    name: FunctionName
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None  # accepted; arguments are always constrained exactly when a tool call is forced


class Tool(msgspec.Struct, tag_field="type", tag="function"):
    """``{"type": "function", "function": {...}}``."""

    function: FunctionDefinition


class ToolChoiceFunction(msgspec.Struct):
    """``{"name": ...}`` inside a named tool choice."""

    name: FunctionName


class NamedToolChoice(msgspec.Struct, tag_field="type", tag="function"):
    """``{"type": "function", "function": {"name": ...}}``: the model must call exactly this function."""

    function: ToolChoiceFunction


ToolChoice = Literal["none", "auto", "required"] | NamedToolChoice


class FunctionCall(msgspec.Struct, kw_only=True):
    """The function part of a tool call: ``arguments`` is JSON text, as generated."""

    name: str
    arguments: str


class ToolCall(msgspec.Struct, tag_field="type", tag="function", kw_only=True):
    """A tool call ``{"id", "type": "function", "function": {"name", "arguments"}}`` (requests and responses)."""

    id: str
    function: FunctionCall
