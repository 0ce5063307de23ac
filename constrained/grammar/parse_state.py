"""Parser state of the Earley recognizer: immutable Earley sets, the (boundaries, lexemes) state, Leo items.

Earley sets hold no byte position, only items whose origins are other set objects, so a set is a pure function
of its seed items: sets are interned and shared, and anything derived from one (scan results, Leo links, mask
verdicts) is memoized on it.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any


class EarleySet:
    """One Earley set (immutable once built).

    Attributes:
        by_nt: nonterminal id -> items ``(prod, dot, origin_set)`` waiting on it.
        by_term: terminal id -> items waiting on it.
        start_terms: terminal ids a lexeme may start with here (expected terminals, then ignore terminals).
        accepting: whether the start rule is complete from the first set.
        size: number of items.
    """

    __slots__ = ("by_nt", "by_term", "start_terms", "accepting", "size", "after", "memo", "__weakref__")

    def __init__(self) -> None:
        self.by_nt: dict[int, list[tuple[int, int, EarleySet]]] = {}
        self.by_term: dict[int, list[tuple[int, int, EarleySet]]] = {}
        self.start_terms: tuple[int, ...] = ()
        self.accepting = False
        self.size = 0
        # terminals that ended together -> the set they lead to. Sets hold no position, so the result of scanning
        # the same terminals from the same set is the same set: memoizing it makes repeated walks (masks, copies)
        # skip completion and prediction.
        # Weak references: a set must not keep alive every set that was ever reached from it (the initial set
        # lives as long as the grammar; strong links would retain every parse ever made).
        self.after: dict[frozenset[int], weakref.ref[EarleySet] | None] = {}
        # Per-set cache for the mask index (lexemes started from this set); owned by ``masks``.
        self.memo: dict[object, object] = {}


Lexeme = tuple[EarleySet, int, int]
MISSING: Any = object()  # "not cached yet" marker for ``EarleySet.after``


@dataclass(frozen=True)
class GrammarParserState:
    """Parser state after some bytes (immutable; shares Earley sets with the states it came from).

    Attributes:
        boundaries: Earley sets from which a lexeme may start at the current position.
        lexemes: lexemes in progress ``(earley_set, terminal_id, dfa_state)``, dfa_state live and with moves.
    """

    boundaries: tuple[EarleySet, ...]
    lexemes: tuple[Lexeme, ...]


def leo_top(o: EarleySet, head: int, lhs: list[int], rhs: list[tuple[int, ...]]) -> tuple[int, int, EarleySet] | None:
    """Leo's topmost item for completing nonterminal ``head`` at set ``o``; None if the path is not deterministic.

    When ``o`` has exactly one item waiting on ``head`` and ``head`` is its last symbol, completing ``head``
    just completes that item, whose head completes at its own origin, and so on: without this, right
    recursion costs O(depth) per byte. Memoized on the (immutable) sets, so each link is computed once.
    """
    chain: list[tuple[EarleySet, int]] = []
    result: tuple[int, int, EarleySet] | None = None
    while True:
        key = ("leo", head)
        if key in o.memo:
            result = o.memo[key]  # type: ignore[assignment]
            break
        waiting = o.by_nt.get(head, ())
        if len(waiting) != 1:
            result = None
            o.memo[key] = None
            break
        p2, d2, o2 = waiting[0]
        if d2 + 1 != len(rhs[p2]):
            result = None
            o.memo[key] = None
            break
        chain.append((o, head))
        result = (p2, d2 + 1, o2)  # provisional: replaced by a higher top if the chain goes on
        if o2 is o:
            break
        o, head = o2, lhs[p2]
    # Every link below the top shares its answer (a chain that stopped at a non-deterministic set keeps the
    # last complete item found).
    if result is None and chain:
        o_last, head_last = chain[-1]
        (p2, d2, o2) = o_last.by_nt[head_last][0]
        result = (p2, d2 + 1, o2)
    for link_set, link_head in chain:
        link_set.memo[("leo", link_head)] = result
    return result
