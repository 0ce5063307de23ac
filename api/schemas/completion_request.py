"""``POST /v1/completions`` (legacy text completions) request body.

Shared sampling fields and conventions are in :mod:`api.schemas.sampling`. ``suffix`` (insertion) is refused when
set; ``best_of`` is accepted only equal to ``n`` (no server-side best-of selection); ``logprobs`` is an integer in
[0, 5] as in OpenAI's legacy API.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from api.schemas.errors import FieldError
from api.schemas.sampling import SamplingFields

DEFAULT_MAX_TOKENS = 16  # OpenAI's and vLLM's default for this endpoint

PromptItem = str | int | list[int]


class CompletionRequest(SamplingFields, kw_only=True):
    """A text completion request.

    ``prompt`` is a string, a list of strings, a list of token ids, or a list of token-id lists; one choice set
    is generated per prompt. ``max_tokens`` defaults to 16 when absent; an explicit ``null`` means "what the context
    leaves"; 0 is allowed (with ``echo``: score the prompt only).
    """

    prompt: str | list[PromptItem]
    suffix: str | None = None
    max_tokens: Annotated[int, msgspec.Meta(ge=0)] | None = DEFAULT_MAX_TOKENS
    logprobs: Annotated[int, msgspec.Meta(ge=0, le=5)] | None = None
    echo: bool | None = None
    best_of: Annotated[int, msgspec.Meta(ge=1, le=20)] | None = None
    add_special_tokens: bool = True

    def __post_init__(self) -> None:
        self._check_prompt()
        if self.suffix is not None:
            raise FieldError("suffix", "'suffix' (insertion) is not supported by this server; omit it")
        if self.best_of is not None and self.best_of != self.num_choices:
            raise FieldError("best_of", f"'best_of' ({self.best_of}) must equal 'n' ({self.num_choices}): this "
                             "server does not rank extra candidates")
        self._check_sampling(self.max_tokens)
        self._check_single_constraint(self.constraint_fields())

    @property
    def prompts(self) -> list[str] | list[list[int]]:
        """The prompts as a list of texts or a list of token-id lists."""
        p = self.prompt
        if isinstance(p, str):
            return [p]
        if all(isinstance(x, int) for x in p):
            return [[x for x in p if isinstance(x, int)]]
        if all(isinstance(x, str) for x in p):
            return [x for x in p if isinstance(x, str)]
        return [x for x in p if isinstance(x, list)]

    def _check_prompt(self) -> None:
        p = self.prompt
        if isinstance(p, str):
            return
        if not p:
            raise FieldError("prompt", "'prompt' must not be an empty list")
        kinds = {type(x) for x in p}
        if len(kinds) > 1:
            raise FieldError("prompt", "'prompt' must be a string, a list of strings, a list of token ids or a list "
                             "of token-id lists, not a mix")
        for i, item in enumerate(p):
            ids = item if isinstance(item, list) else [item] if isinstance(item, int) else []
            if isinstance(item, list) and not item:
                raise FieldError(f"prompt[{i}]", "token-id lists in 'prompt' must not be empty")
            if any(t < 0 for t in ids):
                raise FieldError(f"prompt[{i}]", "token ids must be non-negative")
