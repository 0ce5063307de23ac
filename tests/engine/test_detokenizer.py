"""Incremental detokenization: random byte splits of random text decode to exactly that text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.detokenizer import IncrementalDetokenizer


@st.composite
def split_bytes(draw: st.DrawFn, data: bytes) -> list[bytes]:
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(data) - 1)), max_size=len(data))))
    bounds = [0, *[c for c in cuts if c < len(data)], len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def decode_pieces(pieces: list[bytes], skip_special: bool = True) -> tuple[list[str], str]:
    """Each piece becomes one token; returns the per-token deltas and the flushed tail."""
    detok = IncrementalDetokenizer(pieces, {}, skip_special)
    deltas = [detok.push(i) for i in range(len(pieces))]
    return deltas, detok.flush()


@settings(max_examples=200, deadline=None)
@given(st.data(), st.text(min_size=0, max_size=40))
def test_random_splits_of_valid_text_roundtrip(data: st.DataObject, text: str) -> None:
    pieces = data.draw(split_bytes(text.encode()))
    deltas, tail = decode_pieces(pieces)
    assert "".join(deltas) == text
    assert tail == ""
    # No delta ever carries a replacement character for a character split across tokens.
    assert ("\ufffd" in "".join(deltas)) == ("\ufffd" in text)


@settings(max_examples=200, deadline=None)
@given(st.data(), st.binary(max_size=40))
def test_random_bytes_decode_like_one_shot_replace(data: st.DataObject, raw: bytes) -> None:
    pieces = data.draw(split_bytes(raw))
    deltas, tail = decode_pieces(pieces)
    assert "".join(deltas) + tail == raw.decode("utf-8", errors="replace")


@pytest.mark.parametrize(
    ("pieces", "deltas", "tail"),
    [
        ([b"h", b"i"], ["h", "i"], ""),
        ([b"\xc3", b"\xa9"], ["", "é"], ""),  # é split across two tokens: held, then whole
        ([b"\xe2\x82", b"\xac!"], ["", "€!"], ""),
        ([b"a\xf0\x9f", b"\x98", b"\x80"], ["a", "", "😀"], ""),
        ([b"\xff", b"x"], ["\ufffd", "x"], ""),  # never valid: replaced at once
        ([b"ok\xc3"], ["ok"], "\ufffd"),  # incomplete at the end: replaced on flush only
        ([b"", b"a"], ["", "a"], ""),
    ],
)
def test_table(pieces: list[bytes], deltas: list[str], tail: str) -> None:
    assert decode_pieces(pieces) == (deltas, tail)


def test_special_tokens_shown_or_skipped_and_none_bytes() -> None:
    token_bytes: list[bytes | None] = [b"a", b"<s>", None, b"\xc3", b"\xa9"]
    special = {1: "<s>"}
    shown = IncrementalDetokenizer(token_bytes, special, skip_special_tokens=False)
    assert [shown.push(t) for t in (0, 1, 2, 0)] == ["a", "<s>", "", "a"]
    skipped = IncrementalDetokenizer(token_bytes, special, skip_special_tokens=True)
    assert [skipped.push(t) for t in (0, 1, 0)] == ["a", "", "a"]
    # A shown special token interrupts a partial character: those bytes can never complete.
    cut = IncrementalDetokenizer(token_bytes, special, skip_special_tokens=False)
    assert [cut.push(t) for t in (3, 1, 4)] == ["", "\ufffd<s>", "\ufffd"]
    # A skipped special token is invisible: the character still completes across it.
    through = IncrementalDetokenizer(token_bytes, special, skip_special_tokens=True)
    assert [through.push(t) for t in (3, 1, 4)] == ["", "", "é"]
