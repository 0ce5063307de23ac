"""``ConstraintMasks``: bit ``t % 32`` of word ``t // 32`` allows token ``t``; both unpack paths agree with that."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.constraint_step import ConstraintMasks


class _Fixed:
    """A matcher stand-in that writes a given mask row."""

    def __init__(self, words: np.ndarray) -> None:
        self.words = words

    def fill_bitmask(self, out: np.ndarray) -> None:
        out[: len(self.words)] = self.words


def _words(allowed: list[set[int]], vocab: int) -> list[np.ndarray]:
    rows = []
    for ids in allowed:
        w = np.zeros((vocab + 31) // 32, dtype=np.uint32)
        for t in ids:
            w[t // 32] |= np.uint32(1 << (t % 32))
        rows.append(w.view(np.int32))
    return rows


@settings(max_examples=60, deadline=None)
@given(
    vocab=st.integers(1, 100),
    data=st.data(),
    extra_columns=st.integers(0, 5),
)
def test_apply_keeps_exactly_the_allowed_tokens(vocab: int, data: st.DataObject, extra_columns: int) -> None:
    n_rows = data.draw(st.integers(1, 4))
    allowed = [data.draw(st.sets(st.integers(0, vocab - 1))) for _ in range(n_rows)]
    constrained_rows = data.draw(st.lists(st.integers(0, n_rows - 1), unique=True, min_size=1))
    masks = ConstraintMasks(vocab, torch.device("cpu"))
    masks.fill([_Fixed(w) for w in _words([allowed[r] for r in constrained_rows], vocab)])
    for banned_of in (masks._banned_cpu, masks._banned_device):  # the CPU path and the GPU one, run on the CPU
        logits = torch.zeros(n_rows, vocab + extra_columns)
        k = len(constrained_rows)
        banned = banned_of(k)
        assert banned.shape == (k, vocab) and banned.dtype == torch.bool
        masks.apply(logits, constrained_rows)
        for r in range(n_rows):
            finite = {int(t) for t in torch.nonzero(torch.isfinite(logits[r])).flatten()}
            want = allowed[r] if r in constrained_rows else set(range(vocab + extra_columns))
            assert finite == want


def test_high_bit_of_a_word_is_token_31() -> None:
    masks = ConstraintMasks(64, torch.device("cpu"))
    masks.fill([_Fixed(_words([{31, 32, 63}], 64)[0])])
    logits = torch.zeros(1, 64)
    masks.apply(logits, [0])
    assert torch.isfinite(logits[0]).nonzero().flatten().tolist() == [31, 32, 63]


def test_no_rows_changes_nothing() -> None:
    masks = ConstraintMasks(10, torch.device("cpu"))
    logits = torch.randn(2, 10)
    before = logits.clone()
    masks.apply(logits, [])
    assert torch.equal(logits, before)


@pytest.mark.parametrize("rows", [1, 9])
def test_buffer_grows_for_more_rows(rows: int) -> None:
    masks = ConstraintMasks(40, torch.device("cpu"))
    masks.fill([_Fixed(_words([{i}], 40)[0]) for i in range(rows)])
    logits = torch.zeros(rows, 40)
    masks.apply(logits, list(range(rows)))
    assert [torch.isfinite(logits[i]).nonzero().flatten().tolist() for i in range(rows)] == [[i] for i in range(rows)]
