"""Regex AST -> byte-level NFA (built right to left, tails shared) -> DFA by subset construction.

Internal to ``byte_dfa``; the table it returns is not minimal yet (see ``minimize``).
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from constrained.errors import BudgetExceeded
from constrained.regex_ast import Alt, Automaton, CharSet, Node, Repeat, Seq
from constrained.utf8 import charset_fragment

MAX_NFA_STATES = 1_000_000  # ~200 bytes of Python lists per state
DEAD = 0


# --- NFA ----------------------------------------------------------------------------------------------


class ByteNFA:
    """States are ints; ``eps[s]`` epsilon targets, ``edges[s]`` ``(lo, hi, dst)`` byte-range moves.

    Built right to left: ``build(node, k)`` returns a state whose language is ``L(node) . L(k)``. Every state
    stands for a fixed suffix language, so ``(node, k)`` pairs can be memoized and structurally equal tails are
    shared: JSON Schema lowering repeats the same property tails in many branches, and sharing them here keeps
    the subset construction close to the minimal size instead of 10x above it.
    """

    def __init__(self, deadline: float = float("inf")) -> None:
        """An NFA holding only the final state 0; ``deadline`` is a ``time.monotonic()`` limit."""
        self.deadline = deadline
        self.eps: list[list[int]] = [[]]  # state 0: the final state
        self.edges: list[list[tuple[int, int, int]]] = [[]]
        self._ids: dict[int, int] = {}  # id(node) -> structural id
        self._keys: dict[tuple[object, ...], int] = {}
        self._memo: dict[tuple[int, int], int] = {}
        self._nodes: list[Node] = []  # keeps interned nodes alive so id() stays unique
        # id(charset) -> its UTF-8 fragment: hashing a CharSet (a tuple of ranges) on every use is the slow part.
        self._fragments: dict[int, tuple[int, tuple[tuple[int, int, int, int], ...]]] = {}

    def new(self) -> int:
        """A fresh state with no moves."""
        self.eps.append([])
        self.edges.append([])
        if len(self.eps) & 4095 == 0:
            if len(self.eps) > MAX_NFA_STATES:
                raise BudgetExceeded("max_nfa_states", f"expression needs more than {MAX_NFA_STATES} NFA states")
            if time.monotonic() > self.deadline:
                raise BudgetExceeded("max_compile_seconds", "regex compilation took too long")
        return len(self.eps) - 1

    def intern(self, node: Node) -> int:
        """Structural id: equal subtrees get equal ids (computed once per node object)."""
        got = self._ids.get(id(node))
        if got is not None:
            return got
        key: tuple[object, ...]
        if isinstance(node, CharSet):
            key = ("c", node.ranges)
        elif isinstance(node, Seq):
            key = ("s", *(self.intern(i) for i in node.items))
        elif isinstance(node, Alt):
            key = ("a", *sorted({self.intern(i) for i in node.items}))
        elif isinstance(node, Repeat):
            key = ("r", self.intern(node.item), node.min, node.max)
        elif isinstance(node, Automaton):  # dfa_ops hook
            key = ("d", id(node))
        else:
            raise TypeError(f"not a regex node: {node!r}")
        sid = self._keys.setdefault(key, len(self._keys))
        self._ids[id(node)] = sid
        self._nodes.append(node)
        return sid

    def build(self, node: Node, k: int) -> int:
        """Entry state for ``node`` followed by continuation state ``k``."""
        key = (self.intern(node), k)
        got = self._memo.get(key)
        if got is not None:
            return got
        if isinstance(node, CharSet):
            entry = self.charset(node, k)
        elif isinstance(node, Seq):
            entry = k
            for item in reversed(node.items):
                entry = self.build(item, entry)
        elif isinstance(node, Alt):
            entry = self.new()
            for item in node.items:
                self.eps[entry].append(self.build(item, k))
        elif isinstance(node, Automaton):  # dfa_ops hook
            entry = self.automaton(node, k)
        else:
            assert isinstance(node, Repeat)
            entry = self.repeat(node, k)
        self._memo[key] = entry
        return entry

    def charset(self, cs: CharSet, k: int) -> int:
        """Entry of a copy of the character set's cached UTF-8 fragment, ending in ``k``."""
        frag = self._fragments.get(id(cs))
        if frag is None:  # ``cs`` is kept alive by ``intern`` (``build`` interns every node first)
            frag = self._fragments[id(cs)] = charset_fragment(cs)
        num, edges = frag
        entry = self.new()
        if num == 2:  # single-byte characters only (ASCII): every edge goes from the entry to ``k``
            self.edges[entry] = [(lo, hi, k) for _, lo, hi, _ in edges]
            return entry
        ids = [entry, k] + [self.new() for _ in range(num - 2)]
        for src, lo, hi, dst in edges:
            self.edges[ids[src]].append((lo, hi, ids[dst]))
        return entry

    def automaton(self, node: Automaton, k: int) -> int:
        """Entry of a copy of a prebuilt byte DFA (``dfa_ops``): one NFA state per live DFA state, accept -> ``k``."""
        from constrained.dfa_ops import byte_edges

        edges, accepting, start = byte_edges(node.dfa)
        ids = [self.new() for _ in edges]
        for s, out in enumerate(edges):
            for lo, hi, dst in out:
                self.edges[ids[s]].append((lo, hi, ids[dst]))
            if accepting[s]:
                self.eps[ids[s]].append(k)
        return ids[start]

    def repeat(self, node: Repeat, k: int) -> int:
        """Entry for ``item{min,max}`` then ``k``: optional copies chain right to left, then mandatory ones."""
        if node.max is None:
            loop = self.new()
            self.eps[loop].append(k)
            self.eps[loop].append(self.build(node.item, loop))
            entry = loop
        else:
            entry = k
            for _ in range(node.max - node.min):
                # "up to j more copies, then k": skip to k or take one copy and continue with j - 1.
                opt = self.new()
                self.eps[opt].append(k)
                self.eps[opt].append(self.build(node.item, entry))
                entry = opt
        for _ in range(node.min):
            entry = self.build(node.item, entry)
        return entry


# --- subset construction ---------------------------------------------------------------------------------------


def determinize(
    nfa: ByteNFA, entry: int, max_states: int, deadline: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Subset construction over byte-range classes; returns ``(table[S, C], accepting[S], byte->class)``.

    Runs compiled (``nfa_kernels``) when the compiled kernels are enabled, else in Python (the reference). The two
    may number DFA states differently; minimization renumbers both to the same canonical ``ByteDFA``.
    """
    from constrained.token_trie import kernels

    if kernels() is not None:
        return _determinize_compiled(nfa, entry, max_states, deadline)
    return determinize_reference(nfa, entry, max_states, deadline)


def _determinize_compiled(
    nfa: ByteNFA, entry: int, max_states: int, deadline: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``determinize`` by ``nfa_kernels.subset_construction`` on the NFA flattened to CSR arrays."""
    from constrained import nfa_kernels

    n = len(nfa.eps)
    eps_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, nfa.eps), dtype=np.int64, count=n), out=eps_off[1:])
    eps_tgt = np.fromiter(itertools.chain.from_iterable(nfa.eps), dtype=np.int64, count=int(eps_off[-1]))
    mv_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, nfa.edges), dtype=np.int64, count=n), out=mv_off[1:])
    num_moves = int(mv_off[-1])
    flat = itertools.chain.from_iterable(itertools.chain.from_iterable(nfa.edges))
    moves = np.fromiter(flat, dtype=np.int64, count=3 * num_moves).reshape(num_moves, 3)
    cuts = np.unique(np.concatenate([[0, 256], moves[:, 0], moves[:, 1] + 1]))
    b2c = (np.searchsorted(cuts, np.arange(256), side="right") - 1).astype(np.int64)
    table, acc, status = nfa_kernels.subset_construction(
        eps_off, eps_tgt, mv_off, b2c[moves[:, 0]], b2c[moves[:, 1]], moves[:, 2].copy(), entry, len(cuts) - 1,
        max_states, deadline,
    )  # fmt: skip
    if status == nfa_kernels.TOO_MANY_STATES:
        raise BudgetExceeded("max_states", f"regex needs more than {max_states} DFA states")
    if status == nfa_kernels.TOO_SLOW or time.monotonic() > deadline:
        raise BudgetExceeded("max_compile_seconds", "regex compilation took too long")
    return table, acc, b2c


def determinize_reference(
    nfa: ByteNFA, entry: int, max_states: int, deadline: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``determinize`` in pure Python (the reference the compiled kernel is tested against)."""
    bounds = {0, 256}
    for out_edges in nfa.edges:
        for lo, hi, _ in out_edges:
            bounds.add(lo)
            bounds.add(hi + 1)
    cuts = np.array(sorted(bounds))
    b2c = (np.searchsorted(cuts, np.arange(256), side="right") - 1).astype(np.int64)
    num_classes = len(cuts) - 1
    b2c_list = b2c.tolist()
    cedges = [[(b2c_list[lo], b2c_list[hi], dst) for lo, hi, dst in row] for row in nfa.edges]
    eps = nfa.eps

    def closure(seeds: tuple[int, ...]) -> tuple[frozenset[int], bool]:
        seen = set(seeds)
        stack = list(seeds)
        while stack:
            for t in eps[stack.pop()]:
                if t not in seen:
                    seen.add(t)
                    stack.append(t)
        # Only states with byte moves (and whether the final state is reached) distinguish DFA states.
        return frozenset(s for s in seen if cedges[s]), 0 in seen

    index: dict[tuple[frozenset[int], bool], int] = {}
    members: list[frozenset[int]] = [frozenset()]
    accepting: list[bool] = [False]
    rows: list[list[int]] = [[DEAD] * num_classes]
    start_key = closure((entry,))
    if start_key[0] or start_key[1]:
        index[start_key] = 1
        members.append(start_key[0])
        accepting.append(start_key[1])
    by_moves: dict[tuple[int, ...], int] = {}
    d = 1
    while d < len(members):
        if d & 255 == 0 and time.monotonic() > deadline:
            raise BudgetExceeded("max_compile_seconds", "regex compilation took too long")
        # Sweep the members' class intervals: each elementary interval gets one target set, filled by slice,
        # so a wide edge such as [80-BF] costs one step instead of one per class it covers.
        events: dict[int, list[tuple[int, int]]] = {}
        for s in members[d]:
            for clo, chi, dst in cedges[s]:
                events.setdefault(clo, []).append((dst, 1))
                events.setdefault(chi + 1, []).append((dst, -1))
        row = [DEAD] * num_classes
        active: dict[int, int] = {}
        points = sorted(events)
        for k, p in enumerate(points[:-1]):
            for dst, delta in events[p]:
                n = active.get(dst, 0) + delta
                if n:
                    active[dst] = n
                else:
                    del active[dst]
            if not active:
                continue
            key = tuple(sorted(active))
            target = by_moves.get(key)
            if target is None:
                ckey = closure(key)
                target = index.get(ckey)
                if target is None:
                    target = len(members)
                    if target >= max_states:
                        raise BudgetExceeded("max_states", f"regex needs more than {max_states} DFA states")
                    index[ckey] = target
                    members.append(ckey[0])
                    accepting.append(ckey[1])
                by_moves[key] = target
            q = points[k + 1]
            row[p:q] = [target] * (q - p)
        rows.append(row)
        d += 1
    return np.array(rows, dtype=np.int32).reshape(len(rows), num_classes), np.array(accepting, bool), b2c
