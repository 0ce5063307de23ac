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
from constrained.warmup import warm_up

DEFAULT_MAX_STATES = 100_000
DEFAULT_MAX_SECONDS = 10.0
DEAD = 0
LIST_WALK_MAX_CELLS = 100_000  # tables up to this many cells also keep their rows as Python lists for ``walk``


def merge_byte_classes(table: np.ndarray, b2c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Recompute byte classes on a (minimal) table: bytes whose columns are identical are interchangeable.

    Classes are numbered by their first byte, so the numbering does not depend on ``np.unique``'s sort. Works on
    the table's own columns (at most 256, usually far fewer) and maps bytes through ``b2c`` afterwards, instead
    of expanding the table to 256 columns first.

    Returns:
        ``(table[:, new classes], classes[256])``.
    """
    _, col_id = unique_columns(table)
    byte_col = col_id.reshape(-1)[b2c]  # distinct-column id of each byte
    ids, first_byte = np.unique(byte_col, return_index=True)
    order = np.argsort(first_byte)  # the distinct ids in order of their first byte
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    classes = rank[np.searchsorted(ids, byte_col)].astype(np.int32)
    # A representative table column for each new class: the column of its first byte.
    cols = b2c[first_byte[order]]
    return np.ascontiguousarray(table[:, cols], dtype=np.int32), classes


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
    _rows: list[list[int]] | None
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
        # Python lists make the byte-at-a-time walk in ``accepts`` ~10x faster than numpy scalar indexing; on big
        # tables (10^4+ states from JSON Schema) building them costs more than the walks they speed up.
        set_(self, "_rows", table.tolist() if table.size <= LIST_WALK_MAX_CELLS else None)
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
        warm_up()  # numba's first compile must not count against this budget
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
        table, classes = merge_byte_classes(table, b2c)
        return cls(table, classes, acc, start)

    @property
    def num_states(self) -> int:
        """Number of states, the dead state included."""
        return int(self.table.shape[0])

    @property
    def num_classes(self) -> int:
        """Number of byte equivalence classes (<= 256)."""
        return int(self.table.shape[1])

    def row_lists(self) -> list[list[int]]:
        """The table as Python lists (built once, then shared): per-byte loops index them ~10x faster than numpy."""
        if self._rows is None:
            object.__setattr__(self, "_rows", self.table.tolist())
        assert self._rows is not None
        return self._rows

    def class_list(self) -> list[int]:
        """``classes`` as a Python list (byte -> class id)."""
        return self._cls

    def walk(self, state: int, data: bytes) -> int:
        """The state after reading ``data`` from ``state`` (``DEAD`` once it dies)."""
        rows, cls = self._rows, self._cls
        if rows is None:
            flat, stride = self.table.reshape(-1), self.table.shape[1]
            for b in data:
                state = int(flat[state * stride + cls[b]])
                if state == DEAD:
                    return DEAD
            return state
        for b in data:
            state = rows[state][cls[b]]
            if state == DEAD:
                return DEAD
        return state

    def accepts(self, data: bytes) -> bool:
        """Whether the whole of ``data`` is in the language."""
        return bool(self.accepting[self.walk(self.start, data)])
