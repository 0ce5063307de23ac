"""``SequenceOutputProcessor``: the per-sample state machine the engine feeds each sampled token.

It owns what the user sees of one sample: token ids, text (incremental detokenization, then stop strings held
back until they are known not to match), log-probabilities, and when and why the sample ends. Checks run in
vLLM's order: EOS, stop token ids, stop strings, then ``max_tokens``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from engine.detokenizer import IncrementalDetokenizer
from engine.outputs import CompletionOutput, TokenLogprob
from engine.sampling_params import SamplingParams
from engine.stop_checker import StopChecker


class SequenceOutputProcessor:
    """Turns the sampled tokens of one sample into its ``CompletionOutput``.

    Args:
        index: the sample's index in ``0..n-1``.
        params: the request's settings.
        token_bytes: exact bytes per token id (``constrained.Vocabulary.token_bytes``).
        special_texts: text of special tokens (shown only when ``params.skip_special_tokens`` is False).
        eos_token_ids: ids that end the sample (unless ``params.ignore_eos``); their text is never returned.
    """

    def __init__(
        self,
        index: int,
        params: SamplingParams,
        token_bytes: Sequence[bytes | None],
        special_texts: Mapping[int, str],
        eos_token_ids: Collection[int],
    ) -> None:
        self.index = index
        self.params = params
        self._eos = frozenset(() if params.ignore_eos else eos_token_ids)
        self._stop_token_ids = frozenset(params.stop_token_ids)
        self._detokenizer = IncrementalDetokenizer(token_bytes, special_texts, params.skip_special_tokens)
        self._stop_checker = StopChecker(params.stop, params.include_stop_str_in_output)
        self._token_ids: list[int] = []
        self._logprobs: list[TokenLogprob] | None = [] if params.logprobs is not None else None
        self._text = ""
        self._new_text: list[str] = []
        self._reported_tokens = 0
        self._reported_logprobs = 0
        self._finish_reason: str | None = None
        self._stop_reason: str | int | None = None

    @property
    def finished(self) -> bool:
        """Whether the sample has ended."""
        return self._finish_reason is not None

    @property
    def token_ids(self) -> Sequence[int]:
        """The generated ids so far (a live view: pass it as ``SamplingRow.output_ids``; do not modify)."""
        return self._token_ids

    def append(self, token_id: int, logprob: TokenLogprob | None = None) -> None:
        """Record one generated token; update text, ``finish_reason`` and ``stop_reason``.

        Args:
            token_id: the token.
            logprob: its entry when ``params.logprobs`` is set. None there means a token the constraint forced
                (the only allowed one): under the masked distribution its log-probability is exactly 0, and it is
                recorded so, keeping ``logprobs`` aligned with ``token_ids``.

        Raises:
            RuntimeError: the sample has already finished.
        """
        if self.finished:
            raise RuntimeError(f"sample {self.index} already finished ({self._finish_reason}); cannot append")
        self._token_ids.append(token_id)
        if self._logprobs is not None:
            if logprob is None:
                logprob = TokenLogprob(token_id, 0.0, [(token_id, 0.0)] if self.params.logprobs else [])
            self._logprobs.append(logprob)
        if token_id in self._eos:
            self._end("stop", None)
        elif token_id in self._stop_token_ids:
            self._end("stop", token_id)
        else:
            active = len(self._token_ids) >= self.params.min_tokens
            released, match = self._stop_checker.push(self._detokenizer.push(token_id), active)
            if match is not None:
                self._new_text.append(match.text)
                self._finish_reason, self._stop_reason = "stop", match.stop
            else:
                self._new_text.append(released)
                if self.params.max_tokens is not None and len(self._token_ids) >= self.params.max_tokens:
                    self._end("length", None)

    def finish(self, reason: str) -> None:
        """End the sample for a reason the engine decided: ``"length"`` (context full) or ``"abort"``.

        Held text that is not part of a stop string is released. No effect on a finished sample.
        """
        if not self.finished:
            self._end(reason, None)

    def output(self) -> CompletionOutput:
        """The cumulative output; ``delta_*`` hold what is new since the previous ``output()`` call."""
        delta_text = "".join(self._new_text)
        self._new_text.clear()
        self._text += delta_text
        start, self._reported_tokens = self._reported_tokens, len(self._token_ids)
        logprobs = delta_logprobs = None
        if self._logprobs is not None:
            logprobs = list(self._logprobs)
            delta_logprobs = logprobs[self._reported_logprobs :]
            self._reported_logprobs = len(logprobs)
        return CompletionOutput(
            index=self.index,
            text=self._text,
            token_ids=list(self._token_ids),
            delta_text=delta_text,
            delta_token_ids=self._token_ids[start:],
            logprobs=logprobs,
            delta_logprobs=delta_logprobs,
            finish_reason=self._finish_reason,
            stop_reason=self._stop_reason,
        )

    def _end(self, reason: str, stop_reason: str | int | None) -> None:
        """Finish: release held text, unless that text completes a stop string (then cut there)."""
        self._finish_reason, self._stop_reason = reason, stop_reason
        active = len(self._token_ids) >= self.params.min_tokens
        released, match = self._stop_checker.push(self._detokenizer.flush(), active)
        if match is not None:
            self._new_text.append(match.text)
            if reason != "abort":
                self._finish_reason, self._stop_reason = "stop", match.stop
        else:
            self._new_text.append(released + self._stop_checker.flush())
