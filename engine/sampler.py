"""``Sampler``: one next token per row of a batch, with optional log-probabilities.

Pipeline per batch (each step a few vectorized ops over the rows that need it, see ``engine.logits_processors``
and ``engine.truncation``):
log-probabilities of the logits as received (the masked model distribution), logit bias, penalties,
``min_tokens`` suppression, then argmax for greedy rows, and temperature, top-k, top-p, min-p and a draw for the
others.

The draw is by inverse CDF: one uniform ``u`` per row, and the first token whose cumulative probability exceeds
``u``. That costs an exp and a cumulative sum per row plus a single random number (drawing per-token noise for
an "exponential race" costs V random numbers, over ten times more on CPU). A seeded row draws its ``u`` from its
own generator, and every transform works on each row alone, so its tokens depend only on its seed and its own
logits, never on the rest of the batch.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from engine import logits_processors as lp
from engine.outputs import TokenLogprob
from engine.sampling_params import SamplingParams
from engine.truncation import apply_truncation

NO_VALID_TOKEN = -1
"""Token id returned for a row whose logits are all ``-inf`` (no token is allowed: the engine must end it)."""


@dataclass
class SamplingRow:
    """What the sampler needs to know about one row of the batch.

    Attributes:
        params: the request's settings.
        generator: from ``new_generator()``; None when ``params.seed`` is None.
        prompt_ids: the prompt (for the repetition penalty).
        output_ids: the tokens this sample generated so far (penalties, ``min_tokens``).
    """

    params: SamplingParams
    generator: torch.Generator | None
    prompt_ids: Sequence[int]
    output_ids: Sequence[int]


@dataclass
class SamplerOutput:
    """The sampler's result for a batch.

    Attributes:
        token_ids: one per row; ``NO_VALID_TOKEN`` (-1) for a row whose logits were all ``-inf``.
        logprobs: one per row; None where the row's ``params.logprobs`` is None.
    """

    token_ids: list[int]
    logprobs: list[TokenLogprob | None]


def _mix64(value: int) -> int:
    """A 64-bit finalizer (splitmix64's): nearby inputs give unrelated outputs."""
    mask = (1 << 64) - 1
    value = (value + 0x9E3779B97F4A7C15) & mask
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & mask
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & mask
    return value ^ (value >> 31)


def new_generator(seed: int | None, sample_index: int, device: torch.device | str = "cpu") -> torch.Generator | None:
    """A generator for sample ``sample_index`` of a seeded request (None when ``seed`` is None).

    Samples of one request get unrelated streams; the same ``(seed, sample_index)`` always gives the same one.
    """
    if seed is None:
        return None
    generator = torch.Generator(device=device)
    generator.manual_seed(_mix64(_mix64(seed) ^ sample_index))
    return generator


def _penalized(params: SamplingParams) -> bool:
    """Whether any repetition / frequency / presence penalty is on."""
    return params.repetition_penalty != 1.0 or params.frequency_penalty != 0.0 or params.presence_penalty != 0.0


def _plain_greedy(row: SamplingRow) -> bool:
    """Whether a row is a bare argmax: greedy, no logprobs, bias, penalties or pending ``min_tokens``."""
    params = row.params
    return (
        params.greedy
        and params.logprobs is None
        and not params.logit_bias
        and not _penalized(params)
        and len(row.output_ids) >= params.min_tokens
    )


def _argmax(scores: torch.Tensor) -> list[int]:
    """Row-wise argmax (the first maximum, so the lowest id on ties); ``NO_VALID_TOKEN`` where no score is finite."""
    if scores.device.type == "cpu":
        # numpy's argmax is SIMD-vectorized: ~8x faster than torch's on CPU (measured 7 us vs 59 us, V = 49,152).
        array = scores.numpy()
        ids = np.argmax(array, axis=-1)
        finite = np.isfinite(np.take_along_axis(array, ids[:, None], axis=1)[:, 0])
        token_ids: list[int] = ids.tolist()
        return token_ids if bool(finite.all()) else _invalidate(token_ids, finite.tolist())
    picked = scores.argmax(dim=-1)
    valid = torch.isfinite(scores.gather(1, picked.unsqueeze(1)).squeeze(1))
    token_ids = picked.tolist()
    return token_ids if bool(valid.all()) else _invalidate(token_ids, valid.tolist())


def _invalidate(token_ids: list[int], valid: list[bool]) -> list[int]:
    """``NO_VALID_TOKEN`` for the rows that are not valid."""
    return [t if ok else NO_VALID_TOKEN for t, ok in zip(token_ids, valid, strict=True)]


def _uniforms(count: int, generators: Sequence[torch.Generator | None], device: torch.device) -> torch.Tensor:
    """``[count, 1]`` uniforms in [0, 1): one shared draw for the unseeded rows, one per seeded row from its stream."""
    draws = torch.rand(count, 1, device=device)
    for i, generator in enumerate(generators):
        if generator is not None:
            draws[i] = torch.rand(1, generator=generator, device=generator.device).to(device)
    return draws


def _draw(logits: torch.Tensor, generators: Sequence[torch.Generator | None]) -> list[int]:
    """One token per row with probability ``softmax(logits)`` (inverse CDF); ``NO_VALID_TOKEN`` for all--inf rows."""
    top = logits.amax(dim=-1, keepdim=True)
    valid = torch.isfinite(top.squeeze(1))
    # Unnormalized weights are enough: the target below scales with the total (one pass fewer than softmax).
    cdf = (logits - top).exp_().cumsum(dim=-1)
    total = cdf[:, -1:]
    target = _uniforms(len(generators), generators, logits.device) * total
    # Keep the target strictly below the total (u * total can round up to it): the pick is then the first token
    # with cdf > target, which always has a positive probability, so a disallowed token can never be drawn.
    target = torch.minimum(target, torch.nextafter(total, torch.zeros_like(total)))
    picked = torch.searchsorted(cdf, target, right=True).squeeze(1)
    token_ids: list[int] = picked.tolist()
    return token_ids if bool(valid.all()) else _invalidate(token_ids, valid.tolist())


def _logprobs(log_probs: torch.Tensor, token_ids: list[int], params: list[SamplingParams]) -> list[TokenLogprob | None]:
    """Each row's chosen-token log-probability and its ``params.logprobs`` most likely tokens, most likely first."""
    device = log_probs.device
    safe_ids = torch.tensor([max(t, 0) for t in token_ids], device=device).unsqueeze(1)
    chosen = log_probs.gather(1, safe_ids).squeeze(1).tolist()
    k_max = min(max(p.logprobs or 0 for p in params), log_probs.shape[1])
    top_values, top_ids = log_probs.topk(k_max, dim=-1) if k_max else (log_probs[:, :0], safe_ids[:, :0])
    values, ids = top_values.tolist(), top_ids.tolist()
    entries: list[TokenLogprob | None] = []
    for row, (token, p) in enumerate(zip(token_ids, params, strict=True)):
        k = p.logprobs or 0
        top = list(zip(ids[row][:k], values[row][:k], strict=True))
        entries.append(None if token == NO_VALID_TOKEN else TokenLogprob(token, chosen[row], top))
    return entries


class Sampler:
    """Picks the next token of every row of a batch of logits.

    Args:
        vocab_size: the model's vocabulary size (logits may be wider; extra columns should be ``-inf``).
        eos_token_ids: the ids ``min_tokens`` suppresses (unless the request sets ``ignore_eos``).
    """

    def __init__(self, vocab_size: int, eos_token_ids: Collection[int]) -> None:
        self.vocab_size = vocab_size
        self.eos_token_ids = tuple(eos_token_ids)

    def __call__(self, logits: torch.Tensor, rows: Sequence[SamplingRow]) -> SamplerOutput:
        """Sample one token per row.

        Args:
            logits: float32 ``[len(rows), V]`` on any device, already masked by the constraints (disallowed
                tokens are ``-inf``). Modified in place.
            rows: per-row settings and history.

        Returns:
            The chosen ids and, where asked, their log-probabilities.
        """
        if logits.dim() != 2 or logits.shape[0] != len(rows):
            raise ValueError(f"logits must be [len(rows)={len(rows)}, V], got {tuple(logits.shape)}")
        if logits.shape[1] > self.vocab_size:
            logits[:, self.vocab_size :] = float("-inf")  # padded columns are never tokens
        if all(_plain_greedy(r) for r in rows):
            # The common fast path: plain argmax for the whole batch (first maximum = lowest id on ties).
            return SamplerOutput(_argmax(logits), [None] * len(rows))
        want_logprobs = [i for i, r in enumerate(rows) if r.params.logprobs is not None]
        log_probs = logits[want_logprobs].log_softmax(dim=-1) if want_logprobs else None
        self._process(logits, rows)
        token_ids = self._choose(logits, rows)
        out_logprobs: list[TokenLogprob | None] = [None] * len(rows)
        if log_probs is not None:
            entries = _logprobs(
                log_probs, [token_ids[i] for i in want_logprobs], [rows[i].params for i in want_logprobs]
            )
            for row, entry in zip(want_logprobs, entries, strict=True):
                out_logprobs[row] = entry
        return SamplerOutput(token_ids, out_logprobs)

    def _process(self, logits: torch.Tensor, rows: Sequence[SamplingRow]) -> None:
        """Bias, penalties and ``min_tokens`` suppression, in that order (vLLM's)."""
        biased = [i for i, r in enumerate(rows) if r.params.logit_bias]
        lp.apply_logit_bias(logits, biased, [rows[i].params.logit_bias or {} for i in biased])
        penalized = [i for i, r in enumerate(rows) if _penalized(r.params)]
        lp.apply_penalties(
            logits,
            penalized,
            [rows[i].params for i in penalized],
            [rows[i].prompt_ids for i in penalized],
            [rows[i].output_ids for i in penalized],
        )
        suppressed: list[int] = []
        token_sets: list[list[int]] = []
        for i, r in enumerate(rows):
            if len(r.output_ids) < r.params.min_tokens:
                tokens = list(r.params.stop_token_ids) + ([] if r.params.ignore_eos else list(self.eos_token_ids))
                if tokens:
                    suppressed.append(i)
                    token_sets.append(tokens)
        lp.suppress_tokens(logits, suppressed, token_sets)

    def _choose(self, logits: torch.Tensor, rows: Sequence[SamplingRow]) -> list[int]:
        """Argmax for greedy rows; temperature, truncation and a draw for the others."""
        sampled = [i for i, r in enumerate(rows) if not r.params.greedy]
        if not sampled:
            return _argmax(logits)
        token_ids = [NO_VALID_TOKEN] * len(rows)
        greedy = [i for i, r in enumerate(rows) if r.params.greedy]
        if greedy:
            for row, token in zip(greedy, _argmax(logits[greedy]), strict=True):
                token_ids[row] = token
        sub = logits if not greedy else logits[sampled]
        params = [rows[i].params for i in sampled]
        lp.apply_temperature(sub, [p.temperature for p in params])
        apply_truncation(sub, [p.top_k for p in params], [p.top_p for p in params], [p.min_p for p in params])
        drawn = _draw(sub, [rows[i].generator for i in sampled])
        for slot, row in enumerate(sampled):
            token_ids[row] = drawn[slot]
        return token_ids
