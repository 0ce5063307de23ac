"""Top-k / top-p / min-p floors against a float64 reference, including vocabularies beyond the candidate count."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.truncation import TOP_CANDIDATES, apply_truncation

NEG_INF = float("-inf")


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def reference_kept(row: list[float], k: int, p: float, m: float) -> set[int]:
    alive = sorted((i for i, x in enumerate(row) if x != NEG_INF), key=lambda i: -row[i])
    if not alive:
        return set()
    if 0 < k < len(row) and k <= len(alive):
        kth = row[alive[k - 1]]
        alive = [i for i in alive if row[i] >= kth]
    if p < 1.0:
        top = row[alive[0]]
        weights = [math.exp(row[i] - top) for i in alive]
        total = math.fsum(weights)
        mass, floor = 0.0, row[alive[0]]
        for i, w in zip(alive, weights, strict=True):
            floor = row[i]
            mass += w / total
            if mass >= p:
                break
        alive = [i for i in alive if row[i] >= floor]
    if m > 0.0:
        top = row[alive[0]]
        alive = [i for i in alive if math.exp(row[i] - top) >= m]
    return set(alive)


@st.composite
def rows(draw: st.DrawFn) -> torch.Tensor:
    vocab = draw(st.sampled_from([8, TOP_CANDIDATES, 300, 2000]))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    logits = torch.randn(3, vocab, generator=gen) * draw(st.sampled_from([0.1, 1.0, 4.0]))
    masked = torch.rand(3, vocab, generator=gen) < draw(st.sampled_from([0.0, 0.3, 0.99]))
    return logits.masked_fill(masked, NEG_INF)


@settings(max_examples=150, deadline=None)
@given(
    rows(),
    st.lists(st.sampled_from([0, 1, 5, 100]), min_size=3, max_size=3),
    st.lists(st.sampled_from([1.0, 0.99, 0.9, 0.5, 0.05]), min_size=3, max_size=3),
    st.lists(st.sampled_from([0.0, 0.01, 0.3]), min_size=3, max_size=3),
)
def test_kept_sets_match_reference(logits: torch.Tensor, ks: list[int], ps: list[float], ms: list[float]) -> None:
    work = logits.clone()
    apply_truncation(work, ks, ps, ms)
    for r in range(3):
        kept = {i for i, x in enumerate(work[r].tolist()) if x != NEG_INF}
        row = logits[r].tolist()
        # float32 vs float64: allow the boundary to move by a hair in either direction.
        strict = reference_kept(row, ks[r], ps[r] * (1 - 1e-4), ms[r] * (1 + 1e-4))
        loose = reference_kept(row, ks[r], min(ps[r] * (1 + 1e-4), 1.0) if ps[r] < 1 else 1.0, ms[r] * (1 - 1e-4))
        assert strict <= kept <= loose, (r, ks[r], ps[r], ms[r])
        # Kept entries are untouched.
        assert all(work[r, i] == logits[r, i] for i in kept)


@settings(max_examples=60, deadline=None)
@given(rows(), st.sampled_from([0, 7]), st.sampled_from([1.0, 0.95, 0.3]), st.sampled_from([0.0, 0.05]))
def test_row_result_does_not_depend_on_the_batch(logits: torch.Tensor, k: int, p: float, m: float) -> None:
    alone = logits[:1].clone()
    apply_truncation(alone, [k], [p], [m])
    # Neighbours change the candidate count (large top_k) and take the other code paths (filters off).
    shuffled = torch.cat([logits[1:2], logits[:1], logits[2:3]])
    apply_truncation(shuffled, [500, k, 0], [0.9, p, 1.0], [0.0, m, 0.0])
    assert torch.equal(shuffled[1], alone[0])
    assert torch.equal(shuffled[2], logits[2])  # a row with every filter off is untouched


def test_flat_distribution_needs_the_full_sort() -> None:
    # 1000 equal-ish tokens: the nucleus of 0.5 holds ~500 of them, far beyond the candidates.
    logits = torch.linspace(0.0, 0.01, 1000).unsqueeze(0)
    work = logits.clone()
    apply_truncation(work, [0], [0.5], [0.0])
    kept = int(torch.isfinite(work).sum())
    assert 490 <= kept <= 510
    assert bool(torch.isfinite(work[0, -kept:]).all())  # the largest ones


def test_all_masked_row_stays_masked() -> None:
    logits = torch.full((2, 200), NEG_INF)
    logits[1, 5] = 0.0
    apply_truncation(logits, [3, 3], [0.5, 0.5], [0.1, 0.1])
    assert not bool(torch.isfinite(logits[0]).any())
    assert torch.isfinite(logits[1]).nonzero().flatten().tolist() == [5]
