"""Compiled (numba) DFA minimization: Valmari and Lehtinen's partition refinement for partial DFAs.

Imported lazily by ``minimize.py`` when the compiled kernels are enabled (``token_trie.kernels()``), never at
``import constrained`` time. The pure Python Hopcroft in ``minimize.py`` stays the reference that the tests
compare this against (the renumbered outputs must be identical).

The algorithm keeps two refinable partitions: *blocks* of states and *cords* of transitions. Cords start as
"transitions with the same byte class"; each cord splits the blocks by "has a transition in this cord", and each
new block splits the cords by "the transition leads into this block". It runs in ``O(m log n)`` for ``m``
transitions and ``n`` states and, unlike textbook Hopcroft, never needs the dead state's transitions.

A partition over ``n`` elements is six arrays: ``elems`` (elements grouped by set), ``loc`` (each element's
position in ``elems``), ``set_of`` (each element's set), ``first`` / ``past`` (each set's range in ``elems``),
``marked`` (marked elements per set, moved to the front of its range); ``touched`` lists sets with marks.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _mark(e, elems, loc, set_of, first, marked, touched, num_touched):  # pragma: no cover - compiled
    """Mark element ``e`` (move it to the marked front of its set); returns the new ``num_touched``."""
    s = set_of[e]
    i = loc[e]
    j = first[s] + marked[s]
    elems[i] = elems[j]
    loc[elems[i]] = i
    elems[j] = e
    loc[e] = j
    if marked[s] == 0:
        touched[num_touched] = s
        num_touched += 1
    marked[s] += 1
    return num_touched


@njit(cache=True, nogil=True)
def _split(elems, set_of, first, past, marked, touched, num_touched, num_sets):  # pragma: no cover - compiled
    """Split every touched set into its marked and unmarked parts (the smaller one gets the new id)."""
    while num_touched > 0:
        num_touched -= 1
        s = touched[num_touched]
        j = first[s] + marked[s]
        if j == past[s]:  # every element marked: nothing to split
            marked[s] = 0
            continue
        z = num_sets
        if marked[s] <= past[s] - j:
            first[z] = first[s]
            past[z] = j
            first[s] = j
        else:
            past[z] = past[s]
            first[z] = j
            past[s] = j
        for i in range(first[z], past[z]):
            set_of[elems[i]] = z
        marked[s] = 0
        marked[z] = 0
        num_sets += 1
    return num_sets


@njit(cache=True, nogil=True)
def state_blocks(num_states, tails, labels, heads, final):  # pragma: no cover - compiled
    """Equivalence classes of a trimmed partial DFA: ``(block id per state, number of blocks)``.

    Args:
        num_states: states ``0 .. num_states - 1``, all reachable and co-reachable (no dead state).
        tails: ``int64[m]`` source state of each transition.
        labels: ``int64[m]`` its byte class.
        heads: ``int64[m]`` its target state.
        final: ``bool[num_states]``.
    """
    n = num_states
    m = len(tails)
    # Blocks: one set of every state, then final states split off.
    b_elems = np.arange(n)
    b_loc = np.arange(n)
    b_set = np.zeros(n, dtype=np.int64)
    b_first = np.zeros(n + 1, dtype=np.int64)
    b_past = np.zeros(n + 1, dtype=np.int64)
    b_marked = np.zeros(n + 1, dtype=np.int64)
    b_touched = np.zeros(n + 1, dtype=np.int64)
    if n == 0:
        return b_set, 0
    b_past[0] = n
    num_blocks = 1
    k = 0
    for q in range(n):
        if final[q]:
            k = _mark(q, b_elems, b_loc, b_set, b_first, b_marked, b_touched, k)
    num_blocks = _split(b_elems, b_set, b_first, b_past, b_marked, b_touched, k, num_blocks)
    # Cords: transitions grouped by label.
    c_elems = np.argsort(labels, kind="mergesort")
    c_loc = np.zeros(m, dtype=np.int64)
    c_set = np.zeros(m, dtype=np.int64)
    c_first = np.zeros(m + 1, dtype=np.int64)
    c_past = np.zeros(m + 1, dtype=np.int64)
    c_marked = np.zeros(m + 1, dtype=np.int64)
    c_touched = np.zeros(m + 1, dtype=np.int64)
    num_cords = 0
    if m:
        a = labels[c_elems[0]]
        for i in range(m):
            t = c_elems[i]
            if labels[t] != a:
                a = labels[t]
                c_past[num_cords] = i
                num_cords += 1
                c_first[num_cords] = i
            c_set[t] = num_cords
            c_loc[t] = i
        c_past[num_cords] = m
        num_cords += 1
    # Incoming transitions of each state.
    by_head = np.argsort(heads, kind="mergesort")
    in_start = np.zeros(n + 1, dtype=np.int64)
    for t in range(m):
        in_start[heads[t] + 1] += 1
    for q in range(n):
        in_start[q + 1] += in_start[q]
    b = 1  # block 0 is never needed as a splitter (all but one block suffice)
    c = 0
    while c < num_cords:
        k = 0
        for i in range(c_first[c], c_past[c]):
            k = _mark(tails[c_elems[i]], b_elems, b_loc, b_set, b_first, b_marked, b_touched, k)
        num_blocks = _split(b_elems, b_set, b_first, b_past, b_marked, b_touched, k, num_blocks)
        c += 1
        while b < num_blocks:
            k = 0
            for i in range(b_first[b], b_past[b]):
                q = b_elems[i]
                for j in range(in_start[q], in_start[q + 1]):
                    k = _mark(by_head[j], c_elems, c_loc, c_set, c_first, c_marked, c_touched, k)
            num_cords = _split(c_elems, c_set, c_first, c_past, c_marked, c_touched, k, num_cords)
            b += 1
    return b_set, num_blocks


@njit(cache=True, nogil=True)
def bfs_order(quotient, first):  # pragma: no cover - compiled
    """Blocks in breadth-first order from block ``first`` over ``quotient[block, class]`` (-1: dead)."""
    num = quotient.shape[0]
    order = np.empty(num, dtype=np.int64)
    if first < 0:
        return order[:0]
    seen = np.zeros(num, dtype=np.bool_)
    order[0] = first
    seen[first] = True
    n = 1
    i = 0
    while i < n:
        row = quotient[order[i]]
        for c in range(len(row)):
            b = row[c]
            if b >= 0 and not seen[b]:
                seen[b] = True
                order[n] = b
                n += 1
        i += 1
    return order[:n]
