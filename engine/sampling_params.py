"""``SamplingParams``: how one request is sampled and when it stops (the engine's per-request contract).

Field meanings follow vLLM's ``SamplingParams`` (which the OpenAI fields map onto one to one), so users of either
find what they expect. ``validate()`` raises ``ValueError`` naming the field; the API layer range-checks earlier
and reports in OpenAI's error shape, the offline ``LLM`` API relies on this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_TOP_LOGPROBS = 20


@dataclass
class SamplingParams:
    """Sampling and stopping settings of one request.

    Attributes:
        n: number of independent samples (choices) for the prompt; they share the prompt's KV blocks.
        temperature: 0 means greedy (argmax); otherwise logits are divided by it.
        top_p: nucleus sampling mass in (0, 1]; 1 disables it.
        top_k: keep the k most likely tokens; 0 or -1 disables it.
        min_p: drop tokens whose probability is below ``min_p`` times the top token's; 0 disables it.
        presence_penalty: subtracted once from the logit of every token already in the output.
        frequency_penalty: subtracted once per occurrence of a token in the output.
        repetition_penalty: CTRL-style: logits of tokens seen in the prompt or output are divided by it when
            positive and multiplied by it when negative; 1 disables it.
        logit_bias: token id -> value added to its logit before sampling.
        seed: the same seed and the same request give the same output, whatever else is in the batch or was
            served before. Sample ``i`` of ``n`` uses its own stream derived from ``(seed, i)``. Seeded requests
            decode in full precision (on CPU, unseeded ones may use float16 weights: about twice as fast).
        max_tokens: maximum new tokens (None: up to the context length).
        min_tokens: EOS and ``stop_token_ids`` are not sampled before this many new tokens.
        stop: strings that end the output; the stop string itself is not returned (unless
            ``include_stop_str_in_output``) and no text that could still turn into a stop string is emitted early.
        stop_token_ids: extra token ids that end the output (kept in ``token_ids``; their text is not returned).
        include_stop_str_in_output: keep the matched stop string in the text.
        ignore_eos: keep going past EOS (benchmarks).
        logprobs: None for none; k >= 0 returns the chosen token's log-probability and the k most likely
            alternatives (k <= 20). Log-probabilities are of the model's distribution after the constraint mask
            but before penalties, bias and temperature (vLLM's default).
        skip_special_tokens: leave special tokens out of the returned text.
        constraint: a compiled constraint (``constrained.CompiledConstraint`` or ``CompiledGrammar``; anything
            with ``.matcher()``) that every sampled token must satisfy; when it is complete only EOS is allowed.
    """

    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    min_p: float = 0.0
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    repetition_penalty: float = 1.0
    logit_bias: dict[int, float] | None = None
    seed: int | None = None
    max_tokens: int | None = 16
    min_tokens: int = 0
    stop: list[str] = field(default_factory=list)
    stop_token_ids: list[int] = field(default_factory=list)
    include_stop_str_in_output: bool = False
    ignore_eos: bool = False
    logprobs: int | None = None
    skip_special_tokens: bool = True
    constraint: Any = None

    @property
    def greedy(self) -> bool:
        """Whether sampling is argmax (temperature 0)."""
        return self.temperature == 0.0

    def validate(self) -> SamplingParams:
        """Check every range; return ``self``.

        Raises:
            ValueError: a field is out of range; the message starts with the field name.
        """
        checks: list[tuple[bool, str]] = [
            (self.n >= 1, "n must be at least 1"),
            (self.temperature >= 0.0, "temperature must be >= 0"),
            (0.0 < self.top_p <= 1.0, "top_p must be in (0, 1]"),
            (self.top_k >= -1, "top_k must be -1, 0 (off) or a positive count"),
            (0.0 <= self.min_p <= 1.0, "min_p must be in [0, 1]"),
            (-2.0 <= self.presence_penalty <= 2.0, "presence_penalty must be in [-2, 2]"),
            (-2.0 <= self.frequency_penalty <= 2.0, "frequency_penalty must be in [-2, 2]"),
            (self.repetition_penalty > 0.0, "repetition_penalty must be > 0"),
            (self.max_tokens is None or self.max_tokens >= 1, "max_tokens must be at least 1"),
            (self.min_tokens >= 0, "min_tokens must be >= 0"),
            (self.max_tokens is None or self.min_tokens <= self.max_tokens, "min_tokens must be <= max_tokens"),
            (all(isinstance(s, str) and s for s in self.stop), "stop strings must be non-empty strings"),
            (self.logprobs is None or 0 <= self.logprobs <= MAX_TOP_LOGPROBS, "logprobs must be in [0, 20]"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        for token, bias in (self.logit_bias or {}).items():
            if not -100.0 <= bias <= 100.0:
                raise ValueError(f"logit_bias for token {token} must be in [-100, 100]")
        if self.constraint is not None and not hasattr(self.constraint, "matcher"):
            raise ValueError("constraint must be a compiled constraint (with a .matcher() method)")
        return self
