"""Stop strings across token boundaries: split-independent results, nothing emitted that is later cut."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.stop_checker import StopChecker


def reference_cut(text: str, stops: list[str], include: bool) -> tuple[str, str | None]:
    """The text up to the stop that completes first (ties: the longest), by brute force over end positions."""
    for end in range(1, len(text) + 1):
        matches = [s for s in stops if text[:end].endswith(s)]
        if matches:
            stop = max(matches, key=len)
            return (text[:end] if include else text[: end - len(stop)]), stop
    return text, None


def run_pieces(pieces: list[str], stops: list[str], include: bool) -> tuple[list[str], str, str | None]:
    """Push every piece; return the released deltas, the final text and the stop string (if any)."""
    checker = StopChecker(stops, include)
    deltas: list[str] = []
    for piece in pieces:
        released, match = checker.push(piece)
        if match is not None:
            deltas.append(match.text)
            return deltas, "".join(deltas), match.stop
        deltas.append(released)
    deltas.append(checker.flush())
    return deltas, "".join(deltas), None


@st.composite
def split_text(draw: st.DrawFn, text: str) -> list[str]:
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(text) - 1)), max_size=len(text))))
    bounds = [0, *[c for c in cuts if c < len(text)], len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


ALPHABET = st.sampled_from("abcé\n")


@settings(max_examples=400, deadline=None)
@given(
    st.data(),
    st.text(ALPHABET, max_size=30),
    st.lists(st.text(ALPHABET, min_size=1, max_size=4), min_size=1, max_size=3),
    st.booleans(),
)
def test_random_splits_cut_at_first_stop(data: st.DataObject, text: str, stops: list[str], include: bool) -> None:
    pieces = data.draw(split_text(text))
    deltas, final, stop = run_pieces(pieces, stops, include)
    assert (final, stop) == reference_cut(text, stops, include)
    # Never emit something that is cut later: every released prefix is a prefix of the final text, and without
    # include the returned text contains no stop string at all.
    emitted = ""
    for delta in deltas:
        emitted += delta
        assert final.startswith(emitted)
    if not include:
        assert not any(s in final for s in stops)


@settings(max_examples=200, deadline=None)
@given(st.text(ALPHABET, max_size=20), st.lists(st.text(ALPHABET, min_size=1, max_size=4), min_size=1, max_size=3))
def test_held_text_is_only_a_possible_stop_start(text: str, stops: list[str]) -> None:
    checker = StopChecker(stops)
    released, match = checker.push(text)
    if match is None:
        held = checker.held_text
        assert released + held == text
        # Held back only while it could still become a stop (a proper prefix of one); nothing more.
        assert held == "" or any(s.startswith(held) and s != held for s in stops)


@pytest.mark.parametrize(
    ("pieces", "stops", "include", "expected", "stop"),
    [
        (["Hello", " wor", "ld"], ["world"], False, "Hello ", "world"),
        (["Hello", " wor", "ld"], ["world"], True, "Hello world", "world"),
        (["ab", "c"], ["bc", "abcd"], False, "a", "bc"),
        (["x", "ab"], ["bcd", "ab"], False, "x", "ab"),
        (["a", "b", "x"], ["abc"], False, "abx", None),  # a partial stop that never completes is released
        (["no stop here"], ["STOP"], False, "no stop here", None),
        (["</", "answer", ">tail"], ["</answer>"], False, "", "</answer>"),
        (["aa", "a"], ["aaa"], True, "aaa", "aaa"),
    ],
)
def test_table(pieces: list[str], stops: list[str], include: bool, expected: str, stop: str | None) -> None:
    assert run_pieces(pieces, stops, include)[1:] == (expected, stop)


def test_inactive_stops_pass_through_then_activate() -> None:
    checker = StopChecker(["ab"])
    assert checker.push("xab", active=False) == ("xab", None)
    assert checker.push("a", active=False) == ("", None)  # held: could still become "ab"
    released, match = checker.push("b", active=True)
    assert released == "" and match is not None and match.text == "" and match.stop == "ab"


def test_stop_completed_while_inactive_is_not_reported_later() -> None:
    checker = StopChecker(["abc", "b"])
    assert checker.push("ab", active=False) == ("", None)  # "ab" held as a possible "abc"; "b" was inactive
    assert checker.push("x", active=True) == ("abx", None)


def test_no_stops_passes_everything() -> None:
    checker = StopChecker([])
    assert checker.push("anything") == ("anything", None)
    assert checker.flush() == ""
