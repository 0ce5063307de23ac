"""``ByteDFA``: an immutable DFA over bytes, built from a ``regex_ast`` node.

Pipeline: node -> byte NFA built right to left with shared tails (``nfa.py``; characters lowered to UTF-8 by
``utf8.charset_fragment``) -> subset construction over byte-range classes (``nfa.determinize``) -> dead-state
pruning and Hopcroft minimization (``minimize.py``; identical-row merging above ``HOPCROFT_MAX_EDGES``) -> byte
equivalence classes recomputed on the final table. State 0 is always the dead state (it loops to itself and is
not accepting); every other state can reach an accepting state, which the token index and matcher rely on.
"""

from __future__ import annotations

import time

import numpy as np

from constrained.errors import BudgetExceeded
from constrained.minimize import minimize, unique_columns
from constrained.nfa import ByteNFA, determinize
from constrained.regex_ast import Node

DEFAULT_MAX_STATES = 100_000
DEFAULT_MAX_SECONDS = 10.0
DEAD = 0


class ByteDFA:
    """Immutable DFA over bytes (minimal unless it is huge; always trimmed: every non-dead state is live).

    Attributes:
        table: ``int32[num_states, num_classes]`` next state per (state, byte class); read-only.
        classes: ``int32[256]`` byte -> class id; read-only.
        accepting: ``bool[num_states]``; read-only.
        has_out: ``bool[num_states]``: some byte leads to a live state (False: the text must end here).
        start: the start state (``DEAD`` if the language is empty).
        dead: always ``0``.
    """

    __slots__ = ("table", "classes", "accepting", "has_out", "start", "dead", "_rows", "_cls")
    table: np.ndarray
    classes: np.ndarray
    accepting: np.ndarray
    has_out: np.ndarray
    start: int
    dead: int
    _rows: list[list[int]]
    _cls: list[int]

    def __init__(self, table: np.ndarray, classes: np.ndarray, accepting: np.ndarray, start: int) -> None:
        """Wrap arrays that are already minimal and numbered with the dead state at 0 (use ``from_node``)."""
        set_ = object.__setattr__
        for arr in (table, classes, accepting):
            arr.flags.writeable = False
        set_(self, "table", table)
        set_(self, "classes", classes)
        set_(self, "accepting", accepting)
        has_out = (table != DEAD).any(axis=1)
        has_out.flags.writeable = False
        set_(self, "has_out", has_out)
        set_(self, "start", int(start))
        set_(self, "dead", DEAD)
        # Python lists make the byte-at-a-time walk in ``accepts`` ~10x faster than numpy scalar indexing.
        set_(self, "_rows", table.tolist())
        set_(self, "_cls", classes.tolist())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("ByteDFA is immutable")

    @classmethod
    def from_node(
        cls, node: Node, *, max_states: int = DEFAULT_MAX_STATES, max_seconds: float = DEFAULT_MAX_SECONDS
    ) -> ByteDFA:
        """Compile ``node`` (full-match semantics) into a minimal byte DFA.

        Args:
            node: the regex AST.
            max_states: limit on DFA states during subset construction.
            max_seconds: wall-clock limit for the whole construction.

        Raises:
            BudgetExceeded: ``"max_states"``, ``"max_nfa_states"``, ``"max_compile_seconds"`` or
                ``"max_nesting"`` when the automaton would be too large or too slow to build.
        """
        deadline = time.monotonic() + max_seconds
        nfa = ByteNFA(deadline)
        try:
            entry = nfa.build(node, 0)
        except RecursionError:
            raise BudgetExceeded("max_nesting", "expression nested too deeply to compile") from None
        table, acc, b2c = determinize(nfa, entry, max_states, deadline)
        # Merge classes whose columns are identical before minimizing: Hopcroft's work grows with live edges.
        col_first, col_inv = unique_columns(table)
        table = np.ascontiguousarray(table[:, col_first])
        b2c = col_inv.reshape(-1)[b2c]
        table, acc, start = minimize(table, acc, deadline)
        # Recompute byte classes on the minimal table: bytes with identical columns are interchangeable.
        by_byte = table[:, b2c]
        first, inverse = unique_columns(by_byte)
        # Number classes by their first byte so the numbering does not depend on np.unique's sort.
        rank = np.empty(len(first), dtype=np.int64)
        rank[np.argsort(first)] = np.arange(len(first))
        classes = rank[inverse.reshape(-1)].astype(np.int32)
        reps = np.sort(first)
        return cls(np.ascontiguousarray(by_byte[:, reps], dtype=np.int32), classes, acc, start)

    @property
    def num_states(self) -> int:
        """Number of states, the dead state included."""
        return int(self.table.shape[0])

    @property
    def num_classes(self) -> int:
        """Number of byte equivalence classes (<= 256)."""
        return int(self.table.shape[1])

    def walk(self, state: int, data: bytes) -> int:
        """The state after reading ``data`` from ``state`` (``DEAD`` once it dies)."""
        rows, cls = self._rows, self._cls
        for b in data:
            state = rows[state][cls[b]]
            if state == DEAD:
                return DEAD
        return state

    def accepts(self, data: bytes) -> bool:
        """Whether the whole of ``data`` is in the language."""
        return bool(self.accepting[self.walk(self.start, data)])
