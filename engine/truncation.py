"""Top-k, top-p and min-p in one pass: a per-row logit floor, then one masked fill for the batch.

Each filter keeps the tokens at or above a threshold logit, so all three reduce to one floor per row (the
largest of the three). The floors come from a small ``topk`` of candidates rather than a sort of the whole
vocabulary: the k-th value is among them, min-p needs only the maximum, and the top-p nucleus is usually within
the few dozen most likely tokens (a row whose candidates hold less than ``top_p`` sorts its whole row).

Semantics (vLLM's order): top-k, then top-p over the distribution renormalized after top-k, then min-p (relative
to the top token, which no filter removes). Tokens tied with the last kept one are kept too, so a row's result
depends on its values only, never on tie order or on the other rows of the batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

TOP_CANDIDATES = 64
"""How many most likely tokens the floors are first looked for among (more when a row's top_k is larger)."""


def apply_truncation(
    logits: torch.Tensor, top_k: Sequence[int], top_p: Sequence[float], min_p: Sequence[float]
) -> None:
    """Mask (``-inf``) the tokens each row's top-k / top-p / min-p drops, in place.

    Args:
        logits: ``[B, V]`` temperature-scaled logits.
        top_k: per row; ``<= 0`` or ``>= V`` is off.
        top_p: per row; ``>= 1`` is off.
        min_p: per row; ``0`` is off.
    """
    vocab_size = logits.shape[-1]
    ks = [k if 0 < k < vocab_size else 0 for k in top_k]
    enabled = [k > 0 or p < 1.0 or m > 0.0 for k, p, m in zip(ks, top_p, min_p, strict=True)]
    if not any(enabled):
        return
    if all(enabled):
        _truncate(logits, ks, top_p, min_p)
        return
    # Filter only the rows that ask, so the others stay bit for bit as they were.
    on = [i for i, flag in enumerate(enabled) if flag]
    index = torch.tensor(on, device=logits.device)
    sub = logits.index_select(0, index)
    _truncate(sub, [ks[i] for i in on], [top_p[i] for i in on], [min_p[i] for i in on])
    logits.index_copy_(0, index, sub)


def _truncate(logits: torch.Tensor, ks: list[int], ps: Sequence[float], ms: Sequence[float]) -> None:
    device, dtype = logits.device, logits.dtype
    count = min(logits.shape[-1], max(TOP_CANDIDATES, *ks))
    values = _top_values(logits, count)  # most likely first
    floor = torch.full((len(ks), 1), float("-inf"), dtype=dtype, device=device)
    has_k = torch.tensor([k > 0 for k in ks], device=device).unsqueeze(1)
    if any(ks):
        kth = values.gather(1, torch.tensor([max(k, 1) - 1 for k in ks], device=device).unsqueeze(1))
        floor = torch.where(has_k, kth, floor)
    if any(p < 1.0 for p in ps):
        nucleus = _nucleus_floor(logits, values, floor, has_k, [k > 0 for k in ks], ps)
        floor = torch.maximum(floor, nucleus)
    if any(m > 0.0 for m in ms):
        # p_i >= m * p_max  <=>  logit_i >= logit_max + log(m); log(0) = -inf leaves the row alone.
        log_m = torch.tensor([math.log(m) if m > 0.0 else float("-inf") for m in ms], dtype=dtype, device=device)
        floor = torch.maximum(floor, values[:, :1] + log_m.unsqueeze(1))
    logits.masked_fill_(logits < floor, float("-inf"))


def _nucleus_floor(
    logits: torch.Tensor,
    values: torch.Tensor,
    k_floor: torch.Tensor,
    has_k: torch.Tensor,
    row_has_k: list[bool],
    ps: Sequence[float],
) -> torch.Tensor:
    """``[B, 1]`` logit of the last token each row's top-p nucleus needs (``-inf`` for rows without top-p)."""
    kept = values >= k_floor
    # Normalizer: over the top-k survivors (all among the candidates) or over the whole row.
    candidates_lse = values.masked_fill(~kept, float("-inf")).logsumexp(dim=-1, keepdim=True)
    lse = candidates_lse
    if not all(row_has_k):
        # The row maximum is the first candidate; exp + sum is cheaper than a general logsumexp on CPU.
        top = values[:, :1]
        row_lse = top + (logits - top).exp().sum(dim=-1, keepdim=True).log()
        lse = torch.where(has_k, candidates_lse, row_lse)
    p = torch.tensor([p if p < 1.0 else 2.0 for p in ps], dtype=values.dtype, device=values.device).unsqueeze(1)
    floor = _floor_from_sorted(values, kept, lse, p)
    reached = (values - lse).exp().masked_fill(~kept, 0.0).sum(dim=-1) >= p.squeeze(1)
    for row in range(len(ps)):
        # Candidates short of the nucleus (a flat distribution): sort this row fully. Rows with top-k never get
        # here (all their survivors are candidates); neither do rows with no finite logit.
        if ps[row] < 1.0 and not row_has_k[row] and not bool(reached[row]) and bool(torch.isfinite(values[row, 0])):
            full = _sorted_descending(logits[row : row + 1])
            floor[row : row + 1] = _floor_from_sorted(
                full, torch.ones_like(full, dtype=torch.bool), lse[row : row + 1], p[row]
            )
    return torch.where(p < 1.0, floor, torch.full_like(floor, float("-inf")))


def _floor_from_sorted(values: torch.Tensor, kept: torch.Tensor, lse: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """From descending logits: the value of the last token before the cumulative probability reaches ``p``."""
    probs = (values - lse).exp().masked_fill(~kept, 0.0)
    mass_before = probs.cumsum(dim=-1) - probs
    needed = (mass_before < p).sum(dim=-1, keepdim=True).clamp_min(1)
    return values.gather(1, needed - 1)


def _top_values(logits: torch.Tensor, count: int) -> torch.Tensor:
    """The ``count`` largest values of each row, largest first."""
    if logits.device.type == "cpu" and count < logits.shape[-1]:
        # numpy's partition + a small sort is ~2x faster than torch's CPU topk here (measured ~90 us vs ~165 us).
        top = np.partition(-logits.numpy(), count - 1, axis=-1)[:, :count]
        return torch.from_numpy(-np.sort(top, axis=-1))
    return logits.topk(count, dim=-1).values


def _sorted_descending(values: torch.Tensor) -> torch.Tensor:
    """Each row's values, largest first (values only: no indices needed)."""
    if values.device.type == "cpu":
        # numpy's sort is ~10x faster than torch's CPU sort on a 49k-wide row (measured ~1 ms vs ~10 ms).
        return torch.from_numpy(-np.sort(-values.numpy(), axis=-1))
    return values.sort(dim=-1, descending=True).values
