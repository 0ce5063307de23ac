"""Compiled (numba) subset construction: byte NFA in CSR arrays -> DFA table over byte classes.

Imported lazily by ``nfa.determinize`` when the compiled kernels are enabled (``token_trie.kernels()``). The Python
subset construction in ``nfa.py`` stays the reference: after minimization and renumbering both give the same
``ByteDFA`` (the tests compare them).

A DFA state is the set of NFA states with byte moves in an epsilon closure, plus whether the closure holds the
final NFA state 0. Sets live back to back in one growing pool, found again through an open-addressing hash table
keyed on a 64-bit hash and checked member by member, so a collision never merges two states.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit, objmode

DEAD = 0
OK, TOO_MANY_STATES, TOO_SLOW = 0, 1, 2


@njit(cache=True, nogil=True)
def _hash(members, count, final):  # pragma: no cover - compiled
    h = np.uint64(0x9E3779B97F4A7C15) if final else np.uint64(0x2545F4914F6CDD1D)
    for i in range(count):
        h = (h ^ np.uint64(members[i] + 1)) * np.uint64(0x100000001B3)
    return h


@njit(cache=True, nogil=True)
def _closure(seeds, lo, num_seeds, eps_off, eps_tgt, has_moves, stamp, mark, stack, out):  # pragma: no cover
    """Sorted NFA states with byte moves in the closure of ``seeds[lo:lo + num_seeds]`` into ``out``.

    Returns ``(count, final)``.
    """
    sp = 0
    for i in range(lo, lo + num_seeds):
        s = seeds[i]
        if stamp[s] != mark:
            stamp[s] = mark
            stack[sp] = s
            sp += 1
    count = 0
    final = False
    while sp > 0:
        sp -= 1
        s = stack[sp]
        if s == 0:
            final = True
        if has_moves[s]:
            out[count] = s
            count += 1
        for j in range(eps_off[s], eps_off[s + 1]):
            t = eps_tgt[j]
            if stamp[t] != mark:
                stamp[t] = mark
                stack[sp] = t
                sp += 1
    out[:count].sort()
    return count, final


@njit(cache=True)  # not nogil: the deadline check enters object mode
def subset_construction(
    eps_off, eps_tgt, mv_off, mv_lo, mv_hi, mv_dst, entry, num_classes, max_states, deadline
):  # pragma: no cover - compiled
    """DFA ``(table[S, C] int32, accepting[S], status)`` from the NFA; state 0 dead, 1 the start (if any).

    Args:
        eps_off: ``int64[n + 1]``: the epsilon targets of NFA state ``s`` are ``eps_tgt[eps_off[s]:eps_off[s + 1]]``.
        eps_tgt: epsilon targets.
        mv_off: ``int64[n + 1]``: the byte moves of state ``s`` are entries ``mv_off[s]:mv_off[s + 1]`` of:
        mv_lo: the lowest class of each move (inclusive range),
        mv_hi: its highest class,
        mv_dst: its target state.
        entry: the NFA entry state.
        num_classes: byte classes.
        max_states: DFA state budget (status ``TOO_MANY_STATES`` past it).
        deadline: ``time.monotonic()`` limit (status ``TOO_SLOW`` past it).
    """
    n = len(eps_off) - 1
    has_moves = mv_off[1:] > mv_off[:-1]
    stamp = np.zeros(n, dtype=np.int64)
    stack = np.empty(n + 1, dtype=np.int64)
    tmp = np.empty(n + 1, dtype=np.int64)
    mark = 0
    cap = 1024
    table = np.zeros((cap, num_classes), dtype=np.int32)
    acc = np.zeros(cap, dtype=np.bool_)
    hashes = np.zeros(cap, dtype=np.uint64)
    m_start = np.zeros(cap + 1, dtype=np.int64)
    pool = np.empty(4096, dtype=np.int64)
    hcap = 4096
    slots = np.full(hcap, -1, dtype=np.int64)
    num = 1  # state 0: dead (empty set, not final)
    # Per-class buckets of move targets for the state being expanded.
    b_count = np.zeros(num_classes + 1, dtype=np.int64)
    b_off = np.zeros(num_classes + 1, dtype=np.int64)
    b_items = np.empty(16, dtype=np.int64)
    seeds = np.empty(1, dtype=np.int64)
    seeds[0] = entry
    todo_first = True
    d = 0
    status = OK
    while todo_first or d < num:
        if not todo_first:
            # Bucket the move targets of state d's members by class.
            b_count[:] = 0
            for i in range(m_start[d], m_start[d + 1]):
                s = pool[i]
                for j in range(mv_off[s], mv_off[s + 1]):
                    for c in range(mv_lo[j], mv_hi[j] + 1):
                        b_count[c + 1] += 1
            for c in range(num_classes):
                b_count[c + 1] += b_count[c]
            total = b_count[num_classes]
            if len(b_items) < total:
                b_items = np.empty(2 * total, dtype=np.int64)
            b_off[:] = b_count
            for i in range(m_start[d], m_start[d + 1]):
                s = pool[i]
                for j in range(mv_off[s], mv_off[s + 1]):
                    for c in range(mv_lo[j], mv_hi[j] + 1):
                        b_items[b_off[c]] = mv_dst[j]
                        b_off[c] += 1
        for c in range(1 if todo_first else num_classes):
            if todo_first:
                cnt_seeds = 1
                lo = 0
                seed_arr = seeds
            else:
                lo = b_count[c]
                cnt_seeds = b_count[c + 1] - lo
                if cnt_seeds == 0:
                    continue
                if c > 0 and b_count[c] - b_count[c - 1] == cnt_seeds:
                    same = True
                    plo = b_count[c - 1]
                    for i in range(cnt_seeds):
                        if b_items[plo + i] != b_items[lo + i]:
                            same = False
                            break
                    if same:
                        table[d, c] = table[d, c - 1]
                        continue
                seed_arr = b_items
            mark += 1
            count, final = _closure(seed_arr, lo, cnt_seeds, eps_off, eps_tgt, has_moves, stamp, mark, stack, tmp)
            if count == 0 and not final:
                target = DEAD
            else:
                h = _hash(tmp, count, final)
                slot = np.int64(h & np.uint64(hcap - 1))
                target = -1
                while slots[slot] != -1:
                    e = slots[slot]
                    if hashes[e] == h and acc[e] == final and m_start[e + 1] - m_start[e] == count:
                        eq = True
                        base = m_start[e]
                        for i in range(count):
                            if pool[base + i] != tmp[i]:
                                eq = False
                                break
                        if eq:
                            target = e
                            break
                    slot = (slot + 1) & (hcap - 1)
                if target == -1:
                    if num >= max_states:
                        status = TOO_MANY_STATES
                        break
                    if num == cap:  # grow the per-state arrays
                        cap *= 2
                        t2 = np.zeros((cap, num_classes), dtype=np.int32)
                        t2[:num] = table[:num]
                        table = t2
                        a2 = np.zeros(cap, dtype=np.bool_)
                        a2[:num] = acc[:num]
                        acc = a2
                        h2 = np.zeros(cap, dtype=np.uint64)
                        h2[:num] = hashes[:num]
                        hashes = h2
                        m2 = np.zeros(cap + 1, dtype=np.int64)
                        m2[: num + 1] = m_start[: num + 1]
                        m_start = m2
                    end = m_start[num]
                    if end + count > len(pool):
                        p2 = np.empty(2 * (end + count), dtype=np.int64)
                        p2[:end] = pool[:end]
                        pool = p2
                    pool[end : end + count] = tmp[:count]
                    m_start[num + 1] = end + count
                    acc[num] = final
                    hashes[num] = h
                    target = num
                    slots[slot] = num
                    num += 1
                    if 2 * num > hcap:  # rehash into a table twice as big
                        hcap *= 2
                        slots = np.full(hcap, -1, dtype=np.int64)
                        for e in range(1, num):
                            sl = np.int64(hashes[e] & np.uint64(hcap - 1))
                            while slots[sl] != -1:
                                sl = (sl + 1) & (hcap - 1)
                            slots[sl] = e
            if not todo_first:
                table[d, c] = target
        if status != OK:
            break
        if todo_first:
            todo_first = False
            d = 1
            continue
        d += 1
        if d & 1023 == 0:
            with objmode(now="float64"):
                now = time.monotonic()
            if now > deadline:
                status = TOO_SLOW
                break
    return table[:num], acc[:num], status
