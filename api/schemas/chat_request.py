"""``POST /v1/chat/completions`` request body.

Shared sampling fields, conventions (unknown fields, ``top_k``, one constraint at a time) are documented in
:mod:`api.schemas.sampling`. Known OpenAI fields this server cannot honour are refused by name: ``audio``,
``modalities`` other than ``["text"]``, ``web_search_options``, and the deprecated ``functions`` /
``function_call`` (use ``tools`` / ``tool_choice``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from api.schemas.errors import FieldError
from api.schemas.messages import AssistantMessage, ChatMessage, TextPart
from api.schemas.sampling import SamplingFields
from api.schemas.tools import NamedToolChoice, Tool, ToolChoice

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
MAX_METADATA_PAIRS = 16


class Prediction(msgspec.Struct, tag_field="type", tag="content"):
    """Predicted output (a latency hint); accepted and ignored, which cannot change the output."""

    content: str | list[TextPart]


class ChatCompletionRequest(SamplingFields, kw_only=True):
    """A chat completion request, validated on decode (ranges, tags) and in ``__post_init__`` (cross-field).

    Defaults that depend on the engine (``max_tokens``: what the context leaves) are left as ``None``.
    """

    messages: Annotated[list[ChatMessage], msgspec.Meta(min_length=1)]
    logprobs: bool | None = None
    top_logprobs: Annotated[int, msgspec.Meta(ge=0, le=20)] | None = None
    max_tokens: Annotated[int, msgspec.Meta(ge=1)] | None = None
    max_completion_tokens: Annotated[int, msgspec.Meta(ge=1)] | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    context_length_exceeded_behavior: Literal["truncate", "error"] = "truncate"
    # accepted, with no effect on generation
    metadata: dict[str, str] | None = None
    store: bool | None = None
    service_tier: str | None = None
    prompt_cache_key: str | None = None
    safety_identifier: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    reasoning_effort: ReasoningEffort | None = None
    verbosity: Literal["low", "medium", "high"] | None = None
    prediction: Prediction | None = None
    # refused by name when set
    modalities: list[Literal["text", "audio"]] | None = None
    audio: dict[str, Any] | None = None
    web_search_options: dict[str, Any] | None = None
    functions: list[dict[str, Any]] | None = None
    function_call: str | dict[str, Any] | None = None
    # vLLM extensions
    echo: bool = False
    add_generation_prompt: bool | None = None
    continue_final_message: bool = False
    add_special_tokens: bool = False
    documents: list[dict[str, str]] | None = None
    chat_template: str | None = None
    chat_template_kwargs: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self._refuse_unsupported()
        if self.top_logprobs and not self.logprobs:
            raise FieldError("top_logprobs", "'top_logprobs' requires 'logprobs': true")
        if (self.max_tokens is not None and self.max_completion_tokens is not None
                and self.max_tokens != self.max_completion_tokens):
            raise FieldError("max_completion_tokens", f"'max_tokens' ({self.max_tokens}) and 'max_completion_tokens' "
                             f"({self.max_completion_tokens}) disagree; send only 'max_completion_tokens'")
        self._check_sampling(self.max_new_tokens)
        self._check_metadata()
        self._check_tools()
        self._check_single_constraint(self.constraint_fields())
        if self.continue_final_message:
            if self.add_generation_prompt:
                raise FieldError("continue_final_message", "'continue_final_message' and 'add_generation_prompt' "
                                 "cannot both be true")
            if not isinstance(self.messages[-1], AssistantMessage):
                raise FieldError("continue_final_message", "'continue_final_message' needs the last message to be "
                                 "an assistant message")

    # --- derived values ---------------------------------------------------------------------------------------

    @property
    def max_new_tokens(self) -> int | None:
        """``max_completion_tokens``, else ``max_tokens``; ``None`` means "what the context leaves"."""
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens

    @property
    def wants_generation_prompt(self) -> bool:
        """Whether the chat template adds the assistant header (vLLM default: yes, unless continuing)."""
        if self.add_generation_prompt is not None:
            return self.add_generation_prompt
        return not self.continue_final_message

    @property
    def forced_tool(self) -> str | None:
        """``"required"`` or the forced function's name when ``tool_choice`` forces a call, else ``None``."""
        if isinstance(self.tool_choice, NamedToolChoice):
            return self.tool_choice.function.name
        return "required" if self.tool_choice == "required" else None

    def constraint_fields(self) -> list[str]:
        """The names of the fields that constrain the output (a forcing ``tool_choice`` counts)."""
        return super().constraint_fields() + (["tool_choice"] if self.forced_tool else [])

    # --- checks -----------------------------------------------------------------------------------------------

    def _refuse_unsupported(self) -> None:
        if self.modalities is not None and "audio" in self.modalities:
            raise FieldError("modalities", "audio output is not supported: send 'modalities': [\"text\"] or omit it")
        refused = {
            "audio": "audio output is not supported",
            "web_search_options": "web search is not supported",
            "functions": "the deprecated 'functions' is not supported: send 'tools'",
            "function_call": "the deprecated 'function_call' is not supported: send 'tool_choice'",
        }
        for name, reason in refused.items():
            if getattr(self, name) is not None:
                raise FieldError(name, reason)

    def _check_metadata(self) -> None:
        if self.metadata is None:
            return
        if len(self.metadata) > MAX_METADATA_PAIRS:
            raise FieldError("metadata", f"'metadata' has {len(self.metadata)} pairs; at most 16 are allowed")
        for key, value in self.metadata.items():
            if len(key) > 64 or len(value) > 512:
                raise FieldError("metadata", f"'metadata' key {key[:64]!r}: keys are at most 64 characters and "
                                 "values at most 512")

    def _check_tools(self) -> None:
        names: set[str] = set()
        for i, tool in enumerate(self.tools or []):
            if tool.function.name in names:
                raise FieldError(f"tools[{i}].function.name", f"duplicate tool name '{tool.function.name}' in 'tools'")
            names.add(tool.function.name)
        forced = self.forced_tool
        if forced is not None and not names:
            raise FieldError("tool_choice", f"'tool_choice' {forced!r} needs a non-empty 'tools' list")
        if isinstance(self.tool_choice, NamedToolChoice) and forced not in names:
            raise FieldError("tool_choice.function.name", f"'tool_choice' names function '{forced}', which is not "
                             f"in 'tools' ({', '.join(sorted(names))})")
