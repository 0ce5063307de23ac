"""What the engine returns: ``RequestOutput`` per request, one ``CompletionOutput`` per sample (vLLM's shapes).

Streaming callers receive a ``RequestOutput`` after every step that changed it; texts and token lists are
cumulative, and ``CompletionOutput.delta_text`` / ``delta_token_ids`` hold what is new since the previous one,
so the HTTP layer can send deltas without diffing.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenLogprob:
    """Log-probability of one generated token, with the most likely alternatives.

    Attributes:
        token_id: the sampled token.
        logprob: its log-probability (see ``SamplingParams.logprobs`` for which distribution).
        top: ``(token_id, logprob)`` of the k most likely tokens, most likely first (k = ``logprobs``).
    """

    token_id: int
    logprob: float
    top: list[tuple[int, float]] = field(default_factory=list)


@dataclass
class CompletionOutput:
    """One sample of a request.

    Attributes:
        index: the sample's index in ``0..n-1``.
        text: the generated text so far (stop strings removed unless asked; held-back text not included).
        token_ids: every generated token id so far.
        delta_text: text added since the previous ``RequestOutput`` of this request.
        delta_token_ids: token ids added since then.
        logprobs: one entry per generated token when ``logprobs`` was asked, else None.
        delta_logprobs: the entries added since the previous output (None when not asked).
        finish_reason: None while running; ``"stop"`` (EOS, stop string, stop token, constraint complete),
            ``"length"`` (max_tokens or context full) or ``"abort"``.
        stop_reason: the stop string or stop token id that ended it, else None.
    """

    index: int
    text: str = ""
    token_ids: list[int] = field(default_factory=list)
    delta_text: str = ""
    delta_token_ids: list[int] = field(default_factory=list)
    logprobs: list[TokenLogprob] | None = None
    delta_logprobs: list[TokenLogprob] | None = None
    finish_reason: str | None = None
    stop_reason: str | int | None = None

    @property
    def finished(self) -> bool:
        """Whether this sample is done."""
        return self.finish_reason is not None


@dataclass
class RequestOutput:
    """The state of one request after an engine step.

    Attributes:
        request_id: the caller's id.
        prompt_token_ids: the prompt as the model saw it.
        outputs: one per sample, ordered by index.
        finished: all samples are done.
        num_cached_tokens: prompt tokens whose KV came from the prefix cache.
    """

    request_id: str
    prompt_token_ids: list[int]
    outputs: list[CompletionOutput]
    finished: bool = False
    num_cached_tokens: int = 0
