"""Fields shared by chat and text completions: sampling, stopping, streaming and output constraints.

Conventions (documented once, here):

- Unknown fields are accepted and ignored (msgspec's default): the OpenAI SDK sends only known fields, but other
  clients add vendor fields, and refusing them would break those clients. Every *known* field is typed and
  range-checked, and a known field this server cannot honour is refused by name rather than ignored, so no
  constraint is ever silently dropped.
- OpenAI's nullable fields accept an explicit ``null``, meaning "the default".
- ``top_k`` follows vLLM: ``-1`` or ``0`` (or absent) disables it; ``k >= 1`` keeps the k most likely tokens.
- At most one field may constrain the output: ``response_format`` of type ``json_object``/``json_schema``, one of
  ``guided_json``/``guided_regex``/``guided_choice``/``guided_grammar``, or (chat) a forcing ``tool_choice``
  (``"required"`` or a named function). Two of them is a 400 naming both.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import msgspec

from api.schemas.errors import FieldError
from api.schemas.response_format import ResponseFormat, response_format_constrains

Penalty = Annotated[float, msgspec.Meta(ge=-2.0, le=2.0)]
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
MAX_STOP = 4
LOGIT_BIAS_LIMIT = 100.0
GUIDED_FIELDS = ("guided_json", "guided_regex", "guided_choice", "guided_grammar")


class StreamOptions(msgspec.Struct, kw_only=True):
    """``stream_options``: ``include_usage`` adds a last chunk with usage and empty ``choices``."""

    include_usage: bool | None = None
    include_obfuscation: bool | None = None  # accepted; this server never adds obfuscation padding
    continuous_usage_stats: bool | None = None  # vLLM: usage on every chunk


class SamplingFields(msgspec.Struct, kw_only=True):
    """The part of a generation request shared by ``/v1/chat/completions`` and ``/v1/completions``."""

    model: str | None = None  # vLLM makes it optional; the HTTP layer checks it names the served model
    n: Annotated[int, msgspec.Meta(ge=1, le=128)] | None = None
    temperature: Annotated[float, msgspec.Meta(ge=0.0, le=2.0)] | None = None
    top_p: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)] | None = None
    top_k: Annotated[int, msgspec.Meta(ge=-1)] | None = None
    min_p: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] | None = None
    seed: Int64 | None = None
    stop: str | list[str] | None = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None
    repetition_penalty: Annotated[float, msgspec.Meta(gt=0.0, le=2.0)] | None = None
    logit_bias: dict[str, float] | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    user: str | None = None
    response_format: ResponseFormat | None = None
    # vLLM extensions
    guided_json: dict[str, Any] | str | None = None
    guided_regex: str | None = None
    guided_choice: Annotated[list[str], msgspec.Meta(min_length=1)] | None = None
    guided_grammar: str | None = None
    guided_whitespace_pattern: str | None = None
    guided_decoding_backend: str | None = None  # accepted and ignored: this server has one backend
    structured_outputs: dict[str, Any] | None = None  # newer vLLM spelling: refused by name (use guided_*)
    include_stop_str_in_output: bool = False
    ignore_eos: bool = False
    min_tokens: Annotated[int, msgspec.Meta(ge=0)] = 0
    priority: int = 0
    request_id: str | None = None

    # --- derived values ---------------------------------------------------------------------------------------

    @property
    def stop_list(self) -> list[str]:
        """``stop`` as a list (empty when absent)."""
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)

    @property
    def top_k_limit(self) -> int | None:
        """``top_k`` when it limits sampling, ``None`` when disabled (absent, -1 or 0)."""
        return self.top_k if self.top_k is not None and self.top_k > 0 else None

    @property
    def num_choices(self) -> int:
        """``n`` with its default (1)."""
        return self.n or 1

    @property
    def include_usage(self) -> bool:
        """Whether a stream ends with a usage chunk."""
        return bool(self.stream and self.stream_options and self.stream_options.include_usage)

    def constraint_fields(self) -> list[str]:
        """The names of the fields that constrain the output (at most one passes validation)."""
        fields = ["response_format"] if response_format_constrains(self.response_format) else []
        return fields + [name for name in GUIDED_FIELDS if getattr(self, name) is not None]

    # --- checks -------------------------------------------------------------------------------------------------

    def _check_sampling(self, max_new_tokens: int | None) -> None:
        """Cross-field checks shared by both request types; raises ``FieldError`` naming the field."""
        if self.structured_outputs is not None:
            raise FieldError("structured_outputs", "'structured_outputs' is not supported: send 'response_format' "
                             "or one of guided_json / guided_regex / guided_choice / guided_grammar")
        stops = self.stop_list
        if isinstance(self.stop, list) and len(stops) > MAX_STOP:
            raise FieldError("stop", f"'stop' has {len(stops)} sequences; at most {MAX_STOP} are allowed")
        for i, text in enumerate(stops):
            if text == "":
                raise FieldError("stop" if isinstance(self.stop, str) else f"stop[{i}]",
                                 "stop sequences must not be empty strings")
        self._check_logit_bias()
        if self.stream_options is not None and not self.stream:
            raise FieldError("stream_options", "'stream_options' is only allowed with 'stream': true")
        if max_new_tokens is not None and self.min_tokens > max_new_tokens:
            raise FieldError("min_tokens", f"'min_tokens' ({self.min_tokens}) is larger than the maximum number of "
                             f"new tokens ({max_new_tokens})")
        if isinstance(self.guided_json, str):
            try:
                parsed = json.loads(self.guided_json)
            except ValueError as exc:
                raise FieldError("guided_json", f"'guided_json' is not valid JSON text: {exc}") from None
            if not isinstance(parsed, dict):
                raise FieldError("guided_json", "'guided_json' must be a JSON Schema object")
            self.guided_json = parsed
        if self.guided_whitespace_pattern is not None and not ({"guided_json", "response_format"}
                                                               & set(self.constraint_fields())):
            raise FieldError("guided_whitespace_pattern", "'guided_whitespace_pattern' applies only to JSON output: "
                             "send it with 'guided_json' or a JSON 'response_format'")

    def _check_logit_bias(self) -> None:
        for key, value in (self.logit_bias or {}).items():
            if not key.isdigit() or not key.isascii():
                raise FieldError("logit_bias", f"'logit_bias' keys must be token ids (non-negative integers as "
                                 f"strings); got {key!r}")
            if not -LOGIT_BIAS_LIMIT <= value <= LOGIT_BIAS_LIMIT:
                raise FieldError("logit_bias", f"'logit_bias' value for token {key} is {value}; it must be in "
                                 f"[-100, 100]")

    @staticmethod
    def _check_single_constraint(fields: list[str]) -> None:
        if len(fields) > 1:
            raise FieldError(fields[1], f"'{fields[0]}' and '{fields[1]}' both constrain the output; send only one "
                             "of them")
