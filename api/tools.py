"""Tool calling: what the template is shown, what a forced call is constrained to, and parsing calls back.

- ``tool_choice`` ``none``: the template is not shown the tools; the output is text.
- named function: the output is constrained to that function's ``arguments`` (its parameters schema).
- ``required``: the output is constrained to ``{"name": ..., "arguments": {...}}`` for one of the tools (``anyOf``
  over the tools), or to a non-empty JSON array of them unless ``parallel_tool_calls`` is false.
- ``auto`` (the default with tools): the model chooses; calls are parsed from its own format, Hermes/Qwen style
  ``<tool_call>{"name": ..., "arguments": ...}</tool_call>`` blocks or a reply that is one such JSON object.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.constraints import ConstraintSpec
from api.schemas import ChatCompletionRequest, FunctionCall, NamedToolChoice, Tool, ToolCall

NO_ARGUMENTS: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}
TOOL_CALL_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
TOOL_CALL_OPEN = "<tool_call>"
# Calls are written on one line with at most single spaces (``{"name": "f", "arguments": {"a": 1}}``), as chat
# models emit them; this also keeps a forced call short when the model is unsure.
CALL_WHITESPACE = " ?"


def new_call_id() -> str:
    """A fresh tool-call id in OpenAI's style (``call_`` + 24 random characters)."""
    return "call_" + secrets.token_urlsafe(18)


@dataclass(frozen=True)
class ToolMode:
    """How the output of a request relates to tools.

    Attributes:
        kind: ``"named"`` (output = arguments of ``name``), ``"required"`` (one call object),
            ``"required_parallel"`` (array of call objects), ``"auto"`` (parse calls from free text) or ``"none"``.
        name: the forced function (``named`` only).
        tool_names: names of the offered tools.
    """

    kind: str
    name: str | None = None
    tool_names: frozenset[str] = frozenset()

    @property
    def forced(self) -> bool:
        """Whether the output is constrained to be tool calls (and nothing else)."""
        return self.kind in ("named", "required", "required_parallel")


def tool_mode(request: ChatCompletionRequest) -> ToolMode:
    """The request's :class:`ToolMode` (``none`` when it has no tools)."""
    tools = request.tools or []
    names = frozenset(t.function.name for t in tools)
    choice = request.tool_choice
    if not tools or choice == "none":
        return ToolMode("none")
    if isinstance(choice, NamedToolChoice):
        return ToolMode("named", choice.function.name, names)
    if choice == "required":
        return ToolMode("required" if request.parallel_tool_calls is False else "required_parallel", None, names)
    return ToolMode("auto", None, names)


def template_tools(request: ChatCompletionRequest) -> list[Mapping[str, Any]] | None:
    """Tool definitions for the chat template (OpenAI's ``{"type": "function", "function": {...}}`` dicts)."""
    if tool_mode(request).kind == "none":
        return None
    return [{"type": "function", "function": _function_dict(tool)} for tool in request.tools or []]


def _function_dict(tool: Tool) -> dict[str, Any]:
    f = tool.function
    out: dict[str, Any] = {"name": f.name, "parameters": parameters_schema(tool)}
    if f.description is not None:
        out["description"] = f.description
    return out


def parameters_schema(tool: Tool) -> dict[str, Any]:
    """The function's parameters schema (absent parameters mean "no arguments": an empty object)."""
    return tool.function.parameters if tool.function.parameters is not None else NO_ARGUMENTS


def _call_schema(tool: Tool) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"name": {"const": tool.function.name}, "arguments": parameters_schema(tool)},
        "required": ["name", "arguments"],
        "additionalProperties": False,
    }


def tool_constraint(request: ChatCompletionRequest) -> ConstraintSpec | None:
    """The constraint that forces a valid call, or None when ``tool_choice`` does not force one."""
    mode = tool_mode(request)
    tools = {t.function.name: t for t in request.tools or []}
    if mode.kind == "named" and mode.name is not None:
        return ConstraintSpec("json_schema", parameters_schema(tools[mode.name]),
                              f"tools[{list(tools).index(mode.name)}].function.parameters", CALL_WHITESPACE)
    if not mode.forced:
        return None
    calls = [_call_schema(t) for t in tools.values()]
    one: dict[str, Any] = calls[0] if len(calls) == 1 else {"anyOf": calls}
    schema = {"type": "array", "items": one, "minItems": 1} if mode.kind == "required_parallel" else one
    return ConstraintSpec("json_schema", schema, "tools", CALL_WHITESPACE)


def _tool_call(name: str, arguments: Any) -> ToolCall:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return ToolCall(id=new_call_id(), function=FunctionCall(name=name, arguments=text))


def parse_forced_calls(text: str, mode: ToolMode) -> list[ToolCall] | None:
    """The calls in constrained output, or None when it does not parse (cut short by ``max_tokens``)."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if mode.kind == "named" and mode.name is not None:
        return [_tool_call(mode.name, text.strip())]
    items = value if isinstance(value, list) else [value]
    calls = [_call_from_object(item, mode.tool_names) for item in items]
    return None if any(c is None for c in calls) else [c for c in calls if c is not None]


def _call_from_object(value: Any, names: frozenset[str]) -> ToolCall | None:
    """``{"name": N, "arguments"|"parameters": {...}}`` with N an offered tool -> a call, else None."""
    if not isinstance(value, dict) or value.get("name") not in names:
        return None
    arguments = value.get("arguments", value.get("parameters", {}))
    if isinstance(arguments, str):  # some models emit the arguments as JSON text
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return None
    if not isinstance(arguments, dict):
        return None
    return _tool_call(value["name"], arguments)


def parse_auto_calls(text: str, mode: ToolMode) -> tuple[str | None, list[ToolCall]]:
    """Split free model output into ``(content, calls)``; text that is not a valid call stays content.

    Recognises ``<tool_call>...</tool_call>`` blocks (the last may be unclosed) holding one call object or an array
    of them (the Hermes/Qwen and the xLAM/SmolLM2 styles), and a reply that is exactly one call object or an array
    of them.
    """
    if TOOL_CALL_OPEN in text:
        calls: list[ToolCall] = []
        for block in TOOL_CALL_BLOCK.findall(text):
            found = _calls_in_json(block, mode.tool_names)
            if found is None:
                return text, []  # a malformed block: return the text untouched rather than half of it
            calls += found
        rest = TOOL_CALL_BLOCK.sub("", text).strip()
        return (rest or None), calls
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        found = _calls_in_json(stripped, mode.tool_names)
        if found is not None:
            return None, found
    return text, []


def _calls_in_json(text: str, names: frozenset[str]) -> list[ToolCall] | None:
    """The calls in JSON text holding one call object or a non-empty array of them; None if it is anything else."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    items = value if isinstance(value, list) else [value]
    calls = [_call_from_object(item, names) for item in items]
    if not items or any(c is None for c in calls):
        return None
    return [c for c in calls if c is not None]
