"""Compiled subset construction and minimization (numba) give the same ``ByteDFA`` as the Python references."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from constrained import token_trie
from constrained.byte_dfa import ByteDFA
from constrained.errors import BudgetExceeded
from constrained.json_schema import lower_json_schema
from constrained.minimize import minimize
from constrained.regex_ast import NOTHING, Node
from constrained.regex_parser import parse_regex

pytest.importorskip("numba")

PATTERNS = [
    r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"',
    r"(.|\n)*",
    r"[a-z]+( [a-z]+)*",
    r"\d{4}-\d{2}-\d{2}",
    r"\p{L}+ \w*",
    r"(yes|no|y|nope|)",
    r"[\u00e9\u65e5]+x?",
    r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?",
    r"(a|b)*a(a|b){6}",  # a big DFA from a small NFA
    r"[^\x00-\xff]{0,3}",
    r"x{2,5}(y|z{1,3}){0,4}",
]
SCHEMAS = [
    {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"enum": ["x", "yy", None]}},
        "required": ["a"],
        "additionalProperties": False,
    },
    {"type": "array", "items": {"type": "string", "maxLength": 4}, "minItems": 1, "maxItems": 3},
    {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}, "additionalProperties": False},
]


@pytest.fixture
def jit_toggle() -> Iterator[None]:
    yield
    token_trie.set_jit_enabled(True)


def _build(node: Node, jit: bool) -> ByteDFA:
    token_trie.set_jit_enabled(jit)
    return ByteDFA.from_node(node)


def _same(a: ByteDFA, b: ByteDFA) -> bool:
    return (
        np.array_equal(a.table, b.table)
        and np.array_equal(a.classes, b.classes)
        and np.array_equal(a.accepting, b.accepting)
        and a.start == b.start
    )


@pytest.mark.parametrize("pattern", PATTERNS)
def test_regex_dfa_identical(pattern: str, jit_toggle: None) -> None:
    node = parse_regex(pattern)
    assert _same(_build(node, True), _build(node, False))


@pytest.mark.parametrize("schema", SCHEMAS, ids=range(len(SCHEMAS)))
def test_schema_dfa_identical(schema: dict, jit_toggle: None) -> None:
    node = lower_json_schema(schema, whitespace="flexible").node
    assert _same(_build(node, True), _build(node, False))


def test_tiny_and_empty_languages(jit_toggle: None) -> None:
    for jit in (True, False):
        dfa = _build(parse_regex("[a-z]"), jit)
        assert dfa.num_states == 3 and dfa.accepts(b"q") and not dfa.accepts(b"") and not dfa.accepts(b"qq")
        empty = _build(NOTHING, jit)
        assert empty.start == 0 and empty.num_states == 1 and not empty.accepts(b"")


def test_state_budget_compiled(jit_toggle: None) -> None:
    token_trie.set_jit_enabled(True)
    with pytest.raises(BudgetExceeded) as err:
        ByteDFA.from_node(parse_regex("(a|b)*a(a|b){12}"), max_states=500)
    assert err.value.limit == "max_states"


def test_random_tables_minimize_identically() -> None:
    rng = np.random.default_rng(11)
    for _ in range(400):
        size, width = int(rng.integers(1, 30)), int(rng.integers(1, 5))
        table = rng.integers(0, size, size=(size, width)).astype(np.int32)
        table[rng.random((size, width)) < rng.random()] = 0
        table[0] = 0
        acc = rng.random(size) < rng.random()
        acc[0] = False
        want = minimize(table, acc, float("inf"), compiled=False)
        got = minimize(table, acc, float("inf"), compiled=True)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1]) and got[2] == want[2]
