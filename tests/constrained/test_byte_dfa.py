"""ByteDFA against Python's ``re`` (hypothesis), minimality, budgets and large bounded repeats."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constrained import BudgetExceeded
from constrained.byte_dfa import DEAD, ByteDFA
from constrained.regex_ast import Node, alt, charset, literal, repeat, seq, to_python_regex
from constrained.regex_parser import parse_regex
from constrained.utf8 import utf8_sequences

ALPHABET = "ab\né\u2028😀"


def _sets() -> st.SearchStrategy[Node]:
    ranges = st.lists(st.sampled_from([(0x61, 0x61), (0x61, 0x62), (0xE9, 0xE9), (0x0A, 0x0A), (0x80, 0x10FFFF),
                                       (0x2028, 0x1F600), (0, 0x7F)]), min_size=1, max_size=2)  # fmt: skip
    return ranges.map(charset)


def _nodes() -> st.SearchStrategy[Node]:
    return st.recursive(
        _sets() | st.sampled_from([literal("ab"), literal("é")]),
        lambda kids: st.one_of(
            st.lists(kids, min_size=1, max_size=3).map(lambda xs: seq(*xs)),
            st.lists(kids, min_size=1, max_size=3).map(lambda xs: alt(*xs)),
            st.tuples(kids, st.integers(0, 2), st.sampled_from([0, 1, 3, None])).map(
                lambda t: repeat(t[0], t[1], None if t[2] is None else t[1] + t[2])
            ),
        ),
        max_leaves=6,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_nodes(), st.lists(st.text(ALPHABET, max_size=6), min_size=5, max_size=15))
def test_dfa_agrees_with_python_re(node: Node, texts: list[str]) -> None:
    dfa = ByteDFA.from_node(node)
    oracle = re.compile(to_python_regex(node), re.DOTALL)
    for text in texts:
        assert dfa.accepts(text.encode()) == (oracle.fullmatch(text) is not None), (to_python_regex(node), text)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 0x10FFFF), st.integers(0, 0x10FFFF), st.integers(0, 0x10FFFF))
def test_utf8_sequences_cover_exactly(a: int, b: int, probe: int) -> None:
    lo, hi = min(a, b), max(a, b)
    seqs = utf8_sequences(lo, hi)
    if 0xD800 <= probe <= 0xDFFF:
        return
    enc = chr(probe).encode()
    hit = any(len(s) == len(enc) and all(r[0] <= x <= r[1] for r, x in zip(s, enc, strict=True)) for s in seqs)
    assert hit == (lo <= probe <= hi)
    for edge in (lo, hi):
        if not 0xD800 <= edge <= 0xDFFF:
            e = chr(edge).encode()
            assert any(len(s) == len(e) and all(r[0] <= x <= r[1] for r, x in zip(s, e, strict=True)) for s in seqs)


def test_invalid_utf8_is_rejected() -> None:
    dfa = ByteDFA.from_node(parse_regex(".*"))
    assert dfa.accepts("aé😀".encode())
    for bad in (b"\xc3", b"\xff", b"\xed\xa0\x80", b"\xc0\x80", b"\xf4\x90\x80\x80"):
        assert not dfa.accepts(bad), bad


@pytest.mark.parametrize(
    ("pattern", "states"),
    [("abc", 5), ("(a|b)*abb", 5), ("[a-z]{2,4}", 6), ("a*", 2), ("(a|b)*", 2), ("x{0,100}", 102), ("[^x]", 0)],
)
def test_minimal_state_counts(pattern: str, states: int) -> None:
    dfa = ByteDFA.from_node(parse_regex(pattern))
    if states:
        assert dfa.num_states == states  # dead state included
    assert dfa.table[DEAD].tolist() == [DEAD] * dfa.num_classes
    assert not dfa.accepting[DEAD]
    assert dfa.num_classes <= 256 and dfa.classes.shape == (256,)


def test_all_live_states_reach_acceptance() -> None:
    dfa = ByteDFA.from_node(parse_regex(r'"([^"\\]|\\.){0,8}"|\d+'))
    # Backward reachability from accepting states covers every non-dead state.
    live = set(np.flatnonzero(dfa.accepting).tolist())
    changed = True
    while changed:
        changed = False
        for s in range(dfa.num_states):
            if s not in live and any(int(t) in live for t in dfa.table[s]):
                live.add(s)
                changed = True
    assert live == set(range(1, dfa.num_states))


def test_empty_language_starts_dead() -> None:
    dfa = ByteDFA.from_node(alt())
    assert dfa.start == DEAD and not dfa.accepts(b"")


def test_immutable() -> None:
    dfa = ByteDFA.from_node(literal("a"))
    with pytest.raises(AttributeError):
        dfa.start = 3  # type: ignore[misc]
    with pytest.raises(ValueError):
        dfa.table[0, 0] = 1


def test_large_bounded_repeat_is_fast() -> None:
    t0 = time.perf_counter()
    dfa = ByteDFA.from_node(parse_regex("[a-z]{0,5000}"))
    assert time.perf_counter() - t0 < 5.0
    assert dfa.accepts(b"a" * 5000) and not dfa.accepts(b"a" * 5001)
    assert dfa.num_states == 5002


def test_state_budget() -> None:
    with pytest.raises(BudgetExceeded) as info:
        ByteDFA.from_node(parse_regex("(a|b)*a(a|b){14}"), max_states=1000)
    assert info.value.limit == "max_states"


def test_time_budget() -> None:
    t0 = time.perf_counter()
    with pytest.raises(BudgetExceeded) as info:
        ByteDFA.from_node(parse_regex("(a|b)*a(a|b){16}"), max_states=10**7, max_seconds=0.3)
    assert info.value.limit == "max_compile_seconds"
    assert time.perf_counter() - t0 < 5.0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_nodes(), st.lists(st.text(ALPHABET, max_size=6), min_size=5, max_size=15))
def test_big_dfa_path_row_merging_is_exact(node: Node, texts: list[str]) -> None:
    """Above HOPCROFT_MAX_EDGES minimization falls back to merging identical rows; same language."""
    import constrained.minimize as byte_dfa

    saved = byte_dfa.HOPCROFT_MAX_EDGES
    byte_dfa.HOPCROFT_MAX_EDGES = -1
    try:
        dfa = ByteDFA.from_node(node)
    finally:
        byte_dfa.HOPCROFT_MAX_EDGES = saved
    oracle = re.compile(to_python_regex(node), re.DOTALL)
    for text in texts:
        assert dfa.accepts(text.encode()) == (oracle.fullmatch(text) is not None), (to_python_regex(node), text)
    assert dfa.table[DEAD].tolist() == [DEAD] * dfa.num_classes


def test_shared_tails_keep_subset_construction_small() -> None:
    tail = seq(*(literal(f',"k{i}":') for i in range(40)))
    node = alt(*(seq(literal(f"head{i}"), tail) for i in range(40)))
    t0 = time.perf_counter()
    dfa = ByteDFA.from_node(node)
    assert time.perf_counter() - t0 < 3.0
    assert dfa.accepts(("head7" + "".join(f',"k{i}":' for i in range(40))).encode())


def test_huge_repeat_fails_fast() -> None:
    t0 = time.perf_counter()
    with pytest.raises(BudgetExceeded) as info:
        ByteDFA.from_node(parse_regex("a{0,400000}"), max_seconds=0.5)
    assert info.value.limit in ("max_compile_seconds", "max_nfa_states", "max_states")
    assert time.perf_counter() - t0 < 3.0
