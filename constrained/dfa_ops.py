"""Boolean operations on byte DFAs (intersection, difference) and their embedding back into regex-AST nodes.

Regular languages are closed under intersection and difference, but the regex AST has neither. These functions
build each operand's ``ByteDFA``, combine them with the product construction, minimize, and return an
``Automaton`` node that ``nfa.ByteNFA`` embeds as an NFA fragment, so the result composes with ordinary nodes
(e.g. a JSON string ``pattern`` intersected with ``maxLength``, or "a value of type string that is not one of
these"). Every operand is a full-match language over UTF-8 text; results are exact.
"""

from __future__ import annotations

import time
from typing import cast

import numpy as np

from constrained.byte_dfa import DEFAULT_MAX_SECONDS, DEFAULT_MAX_STATES, ByteDFA
from constrained.errors import BudgetExceeded
from constrained.minimize import minimize, unique_columns
from constrained.regex_ast import EMPTY, NOTHING, Automaton, Node, alt

DEAD = 0


def _product(a: ByteDFA, b: ByteDFA, difference: bool, max_states: int, deadline: float) -> ByteDFA:
    """``L(a) ∩ L(b)``, or ``L(a)`` minus ``L(b)`` when ``difference``; minimal, dead state 0."""
    pairs = np.stack([a.classes, b.classes], axis=1).astype(np.int64)
    uniq, byte_class = np.unique(pairs, axis=0, return_inverse=True)
    ca, cb = uniq[:, 0].tolist(), uniq[:, 1].tolist()
    ta, tb = a.table.tolist(), b.table.tolist()
    acc_a, acc_b = a.accepting.tolist(), b.accepting.tolist()
    index: dict[tuple[int, int], int] = {(DEAD, DEAD): 0}
    order: list[tuple[int, int]] = [(DEAD, DEAD)]
    rows: list[list[int]] = [[0] * len(ca)]
    accepting = [False]
    if a.start != DEAD and (difference or b.start != DEAD):
        index[(a.start, b.start)] = 1
        order.append((a.start, b.start))
    i = 1
    while i < len(order):
        if i & 255 == 0 and time.monotonic() > deadline:
            raise BudgetExceeded("max_compile_seconds", "automaton product took too long")
        p, q = order[i]
        accepting.append(acc_a[p] and (not acc_b[q] if difference else acc_b[q]))
        row = []
        rp, rq = ta[p], tb[q]
        for x, y in zip(ca, cb, strict=True):
            np_, nq = rp[x], rq[y]
            if np_ == DEAD or (nq == DEAD and not difference):
                row.append(0)
                continue
            key = (np_, nq)
            got = index.get(key)
            if got is None:
                got = len(order)
                if got >= max_states:
                    raise BudgetExceeded("max_states", f"automaton product needs more than {max_states} states")
                index[key] = got
                order.append(key)
            row.append(got)
        rows.append(row)
        i += 1
    table = np.array(rows, dtype=np.int32).reshape(len(rows), len(ca))
    return _from_table(table, np.array(accepting, dtype=bool), byte_class, deadline)


def _from_table(table: np.ndarray, accepting: np.ndarray, byte_class: np.ndarray, deadline: float) -> ByteDFA:
    """Minimize ``table`` (dead 0, start 1; columns indexed by ``byte_class[byte]``) into a ``ByteDFA``."""
    table, acc, start = minimize(table, accepting, deadline)
    by_byte = table[:, np.asarray(byte_class).reshape(-1)]
    first, inverse = unique_columns(by_byte)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    classes = rank[inverse.reshape(-1)].astype(np.int32)
    return ByteDFA(np.ascontiguousarray(by_byte[:, np.sort(first)], dtype=np.int32), classes, acc, start)


def _embed(dfa: ByteDFA, max_states: int, deadline: float) -> Node:
    """The node for ``dfa``'s language (``EMPTY | Automaton`` when it holds the empty string)."""
    if dfa.start == DEAD:
        return NOTHING
    if not dfa.accepting[dfa.start]:
        return cast(Node, Automaton(dfa))
    rest = _product(dfa, ByteDFA.from_node(EMPTY), True, max_states, deadline)
    return alt(EMPTY, _embed(rest, max_states, deadline))


def table_node(
    table: np.ndarray, accepting: np.ndarray, byte_class: np.ndarray, max_seconds: float = DEFAULT_MAX_SECONDS
) -> Node:
    """A node for a DFA given as a table (dead state 0, start 1; columns indexed by ``byte_class[byte]``).

    For languages easier to write as a machine than as a regex (e.g. decimal numbers divisible by ``n``).
    """
    deadline = time.monotonic() + max_seconds
    dfa = _from_table(table, accepting, byte_class, deadline)
    return _embed(dfa, DEFAULT_MAX_STATES, deadline)


def intersection(*nodes: Node, max_states: int = DEFAULT_MAX_STATES, max_seconds: float = DEFAULT_MAX_SECONDS) -> Node:
    """A node for the texts every one of ``nodes`` matches.

    Raises:
        BudgetExceeded: an operand or the product needs too many states or too much time.
    """
    deadline = time.monotonic() + max_seconds
    dfa = ByteDFA.from_node(nodes[0], max_states=max_states, max_seconds=max_seconds)
    for node in nodes[1:]:
        other = ByteDFA.from_node(node, max_states=max_states, max_seconds=max(0.0, deadline - time.monotonic()))
        dfa = _product(dfa, other, False, max_states, deadline)
    return _embed(dfa, max_states, deadline)


def difference(
    node: Node, removed: Node, max_states: int = DEFAULT_MAX_STATES, max_seconds: float = DEFAULT_MAX_SECONDS
) -> Node:
    """A node for the texts ``node`` matches and ``removed`` does not (a complement relative to ``node``).

    Raises:
        BudgetExceeded: an operand or the product needs too many states or too much time.
    """
    deadline = time.monotonic() + max_seconds
    a = ByteDFA.from_node(node, max_states=max_states, max_seconds=max_seconds)
    b = ByteDFA.from_node(removed, max_states=max_states, max_seconds=max(0.0, deadline - time.monotonic()))
    return _embed(_product(a, b, True, max_states, deadline), max_states, deadline)


def is_empty(node: Node, max_states: int = DEFAULT_MAX_STATES, max_seconds: float = DEFAULT_MAX_SECONDS) -> bool:
    """Whether ``node`` matches no text at all."""
    return ByteDFA.from_node(node, max_states=max_states, max_seconds=max_seconds).start == DEAD


_edges_cache: dict[int, tuple[ByteDFA, list[list[tuple[int, int, int]]], list[bool], int]] = {}


def byte_edges(dfa: object) -> tuple[list[list[tuple[int, int, int]]], list[bool], int]:
    """``dfa`` as byte-range edges per state (dead state dropped), accepting flags and the start (for ``nfa``)."""
    assert isinstance(dfa, ByteDFA)
    hit = _edges_cache.get(id(dfa))
    if hit is not None and hit[0] is dfa:
        return hit[1], hit[2], hit[3]
    n = dfa.num_states
    renum = {s: s - 1 for s in range(1, n)}  # dead state 0 is dropped
    table = dfa.table.tolist()
    cls = dfa.classes.tolist()
    edges: list[list[tuple[int, int, int]]] = []
    for s in range(1, n):
        out: list[tuple[int, int, int]] = []
        row = table[s]
        lo, cur = 0, row[cls[0]]
        for byte in range(1, 257):
            nxt = row[cls[byte]] if byte < 256 else -1
            if nxt != cur:
                if cur != DEAD:
                    out.append((lo, byte - 1, renum[cur]))
                lo, cur = byte, nxt
        edges.append(out)
    accepting = [bool(x) for x in dfa.accepting.tolist()[1:]]
    if len(_edges_cache) > 256:
        _edges_cache.clear()
    _edges_cache[id(dfa)] = (dfa, edges, accepting, renum[dfa.start])
    return edges, accepting, renum[dfa.start]


def shortest_matches(
    node: Node, max_states: int = DEFAULT_MAX_STATES, max_seconds: float = DEFAULT_MAX_SECONDS
) -> Node:
    """A node for the texts ``node`` matches that have no proper prefix it also matches.

    This is what a lexer that stops at the shortest match produces (Lark's, for a pattern whose repetitions are
    all lazy, such as ``".*?"``): the automaton simply ends at its first accepting state.

    Raises:
        BudgetExceeded: the automaton needs too many states or too much time.
    """
    deadline = time.monotonic() + max_seconds
    dfa = ByteDFA.from_node(node, max_states=max_states, max_seconds=max_seconds)
    if dfa.start == DEAD:
        return NOTHING
    table = np.array(dfa.table, dtype=np.int32)
    table[np.asarray(dfa.accepting)] = DEAD  # a match ends at its first accepting state
    return _embed(_from_table(table, np.array(dfa.accepting), np.asarray(dfa.classes), deadline), max_states, deadline)
