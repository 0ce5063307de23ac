"""Batched logit transforms: bias, penalties, ``min_tokens`` suppression, temperature (truncation: ``truncation``).

Every function takes the ``[B, V]`` float32 logits of a batch and per-row settings, and works in place with a
handful of vectorized torch ops for the whole batch (Python only builds the small index lists). Rows that do not
use a transform are left untouched bit for bit, so a row's result never depends on what else is in the batch.
Disallowed tokens arrive as ``-inf`` (the constraint mask) and stay ``-inf``: no transform can revive them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence

import torch

from engine.sampling_params import SamplingParams


def check_params(params: SamplingParams, vocab_size: int) -> None:
    """Check the token ids a request names against the vocabulary (the engine calls this on ``add_request``).

    Raises:
        ValueError: a ``logit_bias`` key or a ``stop_token_ids`` entry is not a token id of this vocabulary.
    """
    for token in params.logit_bias or {}:
        if not isinstance(token, int) or not 0 <= token < vocab_size:
            raise ValueError(f"logit_bias token {token!r} is outside the vocabulary (ids 0..{vocab_size - 1})")
    for token in params.stop_token_ids:
        if not isinstance(token, int) or not 0 <= token < vocab_size:
            raise ValueError(f"stop_token_ids entry {token!r} is outside the vocabulary (ids 0..{vocab_size - 1})")


def apply_logit_bias(logits: torch.Tensor, rows: Sequence[int], biases: Sequence[dict[int, float]]) -> None:
    """Add ``biases[i]`` to row ``rows[i]`` of ``logits`` (one indexed add for the batch)."""
    row_idx: list[int] = []
    tok_idx: list[int] = []
    values: list[float] = []
    for row, bias in zip(rows, biases, strict=True):
        row_idx.extend([row] * len(bias))
        tok_idx.extend(bias.keys())
        values.extend(bias.values())
    if not values:
        return
    device = logits.device
    index = (torch.tensor(row_idx, device=device), torch.tensor(tok_idx, device=device))
    logits.index_put_(index, torch.tensor(values, dtype=logits.dtype, device=device), accumulate=True)


def apply_penalties(
    logits: torch.Tensor,
    rows: Sequence[int],
    params: Sequence[SamplingParams],
    prompt_ids: Sequence[Sequence[int]],
    output_ids: Sequence[Sequence[int]],
) -> None:
    """Repetition (over prompt + output), then frequency and presence (over output) penalties, in place.

    ``rows[i]`` is the logits row of ``params[i]``; the other lists are aligned with ``rows``. Only the entries
    of tokens that occurred are touched (gathered, penalized, written back), so the cost follows the history
    length rather than batch x vocabulary.
    """
    row_idx: list[int] = []
    tok_idx: list[int] = []
    counts: list[int] = []
    owner: list[int] = []  # entry -> position in ``params``
    for slot, (row, p, prompt, output) in enumerate(zip(rows, params, prompt_ids, output_ids, strict=True)):
        out_counts = Counter(output)
        seen = out_counts.keys() | set(prompt) if p.repetition_penalty != 1.0 else out_counts.keys()
        tok_idx.extend(seen)
        counts.extend(out_counts.get(t, 0) for t in seen)
        row_idx.extend([row] * len(seen))
        owner.extend([slot] * len(seen))
    if not tok_idx:
        return
    device = logits.device
    index = (torch.tensor(row_idx, device=device), torch.tensor(tok_idx, device=device))
    entry_owner = torch.tensor(owner, device=device)

    def per_entry(values: list[float]) -> torch.Tensor:
        return torch.tensor(values, dtype=logits.dtype, device=device)[entry_owner]

    values = logits[index]
    repetition = per_entry([p.repetition_penalty for p in params])
    # Positive logits shrink (divide), negative ones grow more negative (multiply): both lower the token.
    values = torch.where(values > 0, values / repetition, values * repetition)
    count = torch.tensor(counts, dtype=logits.dtype, device=device)
    values = values - per_entry([p.frequency_penalty for p in params]) * count
    values = values - per_entry([p.presence_penalty for p in params]) * (count > 0).to(logits.dtype)
    logits.index_put_(index, values)


def suppress_tokens(logits: torch.Tensor, rows: Sequence[int], token_sets: Sequence[Collection[int]]) -> None:
    """Set ``logits[rows[i], token_sets[i]]`` to ``-inf`` (``min_tokens``), unless that leaves a row no finite logit.

    A row whose only allowed tokens are the suppressed ones (a complete constraint that allows only EOS) keeps
    them: the constraint wins over ``min_tokens``, since the alternative is no valid token at all.
    """
    row_idx = [row for row, tokens in zip(rows, token_sets, strict=True) for _ in tokens]
    tok_idx = [t for tokens in token_sets for t in tokens]
    if not tok_idx:
        return
    device = logits.device
    index = (torch.tensor(row_idx, device=device), torch.tensor(tok_idx, device=device))
    saved = logits[index].clone()
    logits.index_put_(index, torch.tensor(float("-inf"), dtype=logits.dtype, device=device))
    touched = sorted(set(row_idx))
    alive = torch.isfinite(logits[touched]).any(dim=-1).tolist()
    dead = {row for row, ok in zip(touched, alive, strict=True) if not ok}
    if dead:
        keep = torch.tensor([r in dead for r in row_idx], device=device)
        logits.index_put_((index[0][keep], index[1][keep]), saved[keep])


MIN_TEMPERATURE = 1e-5
"""Smaller positive temperatures are raised to this, so dividing cannot overflow float32 to ``inf``."""


def apply_temperature(logits: torch.Tensor, temperatures: Sequence[float]) -> None:
    """Divide each row by its temperature (all > 0)."""
    if all(t == 1.0 for t in temperatures):
        return
    divisors = [max(t, MIN_TEMPERATURE) for t in temperatures]
    logits.div_(torch.tensor(divisors, dtype=logits.dtype, device=logits.device).unsqueeze(1))
