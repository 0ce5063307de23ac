"""Compiled (numba) loops over the vocabulary trie: building it, and walking it against a byte DFA.

Imported lazily through ``constrained.token_trie.kernels()``, never at ``import constrained`` time: numba costs
~0.5 s to import, and the pure numpy walks (``TokenIndex.compute_reference``, ``GrammarMaskIndex``'s
``*_reference`` methods) stay the reference that tests compare these kernels against. ``cache=True`` keeps the
machine code in ``__pycache__``, so the one-time JIT cost (seconds) is paid once per install, not per process.

Trie layout (preorder, one entry per node, root excluded): ``byte[i]`` the byte on the edge into node ``i``,
``depth[i]`` its depth (1 = first byte), ``end[i]`` the index just past its subtree, ``first[i]`` the rank (in
byte-sorted token order) of the first token through it, ``count[i]`` how many tokens end exactly at it (ranks
``first[i] .. first[i] + count[i] - 1``), ``groups[i]`` the byte groups (``token_trie.BYTE_GROUPS``) met on the
edges of its subtree, its own edge included: a 32-bit summary, so that a walk can take a whole subtree at once
when every byte of those groups loops back to the walk's start state (bits 30-31 flag invalid UTF-8 below the node
and a node that starts mid-character). ``first`` has one extra trailing entry: the number of tokens. Masks are
written as int64 words (token ``t`` is bit ``t & 63`` of word ``t >> 6``), which read as the int32 layout on
little-endian hosts.
"""

from __future__ import annotations

import numpy as np
from numba import njit

DEAD = 0
# Flag bits of ``groups`` above the byte groups: the node's path from the root is mid-character before its byte;
# its subtree holds invalid UTF-8 (read from the root).
NOT_AT_BOUNDARY = np.uint32(1 << 31)
INVALID_UTF8 = np.uint32(1 << 30)
ASCII_GROUPS = np.uint32((1 << 26) - 1)  # token_trie.BYTE_GROUPS: groups 0-25 are exactly the ASCII bytes


@njit(cache=True, nogil=True)
def build_trie(buf, starts, group_of_byte):  # pragma: no cover - compiled
    """Trie arrays ``(byte, depth, end, first, count, groups)`` of tokens sorted by bytes (``starts``: n + 1)."""
    n = len(starts) - 1
    lcp = np.zeros(n, dtype=np.int64)
    total = 0
    max_len = 0
    for r in range(n):
        s, e = starts[r], starts[r + 1]
        c = 0
        if r > 0:
            ps = starts[r - 1]
            m = min(e - s, s - ps)
            while c < m and buf[ps + c] == buf[s + c]:
                c += 1
        lcp[r] = c
        total += (e - s) - c
        max_len = max(max_len, e - s)
    # int32 / uint8: a 128k vocabulary's trie is ~275k nodes, and a permissive walk streams all of it.
    byte = np.empty(total, dtype=np.uint8)
    depth = np.empty(total, dtype=np.int32)
    end = np.empty(total, dtype=np.int32)
    first = np.empty(total + 1, dtype=np.int32)
    count = np.zeros(total, dtype=np.int32)
    parent = np.empty(total, dtype=np.int64)
    path = np.full(max_len + 1, -1, dtype=np.int64)  # path[d]: node at depth d on the current token's path
    # UTF-8 decoding along each path from the root: bytes still expected (-1: invalid) and the next byte's range.
    rem = np.zeros(total, dtype=np.int8)
    nlo = np.zeros(total, dtype=np.uint8)
    nhi = np.zeros(total, dtype=np.uint8)
    groups = np.zeros(total, dtype=np.uint32)
    k = 0
    for r in range(n):
        s, e = starts[r], starts[r + 1]
        for d in range(lcp[r], e - s):
            b = buf[s + d]
            byte[k] = b
            depth[k] = d + 1
            first[k] = np.int32(r)
            q = path[d]
            parent[k] = q
            path[d + 1] = k
            p_rem, p_lo, p_hi = 0, 0, 0
            if q >= 0:
                p_rem, p_lo, p_hi = int(rem[q]), int(nlo[q]), int(nhi[q])
            if p_rem != 0:
                groups[k] |= NOT_AT_BOUNDARY
            rem[k], nlo[k], nhi[k] = _utf8_step(p_rem, p_lo, p_hi, b)
            if rem[k] < 0:
                groups[k] |= INVALID_UTF8
            k += 1
        count[path[e - s]] += 1
    first[total] = n
    stack = np.empty(max_len + 1, dtype=np.int64)
    sp = 0
    for j in range(total):
        while sp > 0 and depth[stack[sp - 1]] >= depth[j]:
            end[stack[sp - 1]] = np.int32(j)
            sp -= 1
        stack[sp] = j
        sp += 1
    while sp > 0:
        end[stack[sp - 1]] = np.int32(total)
        sp -= 1
    for j in range(total - 1, -1, -1):
        groups[j] |= group_of_byte[byte[j]]
        p = parent[j]
        if p >= 0:
            groups[p] |= groups[j] & ~NOT_AT_BOUNDARY  # a per-node fact, not a subtree one
    return byte, depth, end, first, count, groups


@njit(cache=True, nogil=True)
def _utf8_step(rem, lo, hi, b):  # pragma: no cover - compiled
    """UTF-8 decoder step: ``(bytes still expected or -1 if invalid, next byte low, next byte high)``."""
    if rem < 0:
        return -1, 0, 0
    if rem > 0:
        return (rem - 1, 0x80, 0xBF) if lo <= b <= hi else (-1, 0, 0)
    if b < 0x80:
        return 0, 0, 0
    if 0xC2 <= b <= 0xDF:
        return 1, 0x80, 0xBF
    if b == 0xE0:
        return 2, 0xA0, 0xBF
    if b == 0xED:
        return 2, 0x80, 0x9F
    if 0xE1 <= b <= 0xEF:
        return 2, 0x80, 0xBF
    if b == 0xF0:
        return 3, 0x90, 0xBF
    if 0xF1 <= b <= 0xF3:
        return 3, 0x80, 0xBF
    if b == 0xF4:
        return 3, 0x80, 0x8F
    return -1, 0, 0


@njit(cache=True, nogil=True)
def _utf8_loops(table, classes, state):  # pragma: no cover - compiled
    """Whether every valid multi-byte UTF-8 character leads from ``state`` back to it, never dying half-way."""
    cur = np.empty(64, dtype=np.int64)
    nxt = np.empty(64, dtype=np.int64)
    for lead in range(0xC2, 0xF5):
        cur[0] = state
        m = 1
        r, lo, hi = _utf8_step(0, 0, 0, lead)
        bl, bh = lead, lead
        while True:
            k = 0
            for j in range(m):
                for b in range(bl, bh + 1):
                    t = table[cur[j], classes[b]]
                    if t == DEAD:
                        return False
                    seen = False
                    for q in range(k):
                        if nxt[q] == t:
                            seen = True
                            break
                    if not seen:
                        if k == 64:
                            return False  # too many distinct states half-way: do not bother
                        nxt[k] = t
                        k += 1
            for q in range(k):
                cur[q] = nxt[q]
            m = k
            if r == 0:
                break
            bl, bh = lo, hi
            r, lo, hi = r - 1, 0x80, 0xBF
        for q in range(m):
            if cur[q] != state:
                return False
    return True


@njit(cache=True, nogil=True)
def _looping_groups(table, classes, state, group_of_byte):  # pragma: no cover
    """The byte groups (bit mask) whose every byte leads from ``state`` back to ``state``."""
    out = np.uint32(0xFFFFFFFF)
    for b in range(256):
        if table[state, classes[b]] != state:
            out &= ~group_of_byte[b]
    return out


@njit(cache=True, nogil=True)
def _emit(lo, hi, k, num, trie, words, alive):  # pragma: no cover - compiled
    """Set the bits of the tokens in rank ranges ``[lo[j], hi[j])``, j < k (increasing, disjoint; ``num`` in all).

    Few tokens are scattered one by one; nearly all of them start from the all-walkable mask and clear the few
    ranks outside the ranges; otherwise ``alive`` (uint8 scratch per rank, plus one, all zero on entry and on
    return) marks the ranks and each word is gathered from its 64 ids in order (no unpredictable branches).
    """
    sorted_ids, rank_of_id, walkable = trie[8], trie[9], trie[10]
    one = np.int64(1)
    vocab_size = len(rank_of_id)
    n = len(sorted_ids)
    if num * 8 < vocab_size:
        for j in range(k):
            for q in range(lo[j], hi[j]):
                t = sorted_ids[q]
                words[t >> 6] |= one << (t & 63)
        return
    if (n - num) * 8 < vocab_size:
        words[:] = walkable
        prev = 0
        for j in range(k + 1):
            stop = lo[j] if j < k else n
            for q in range(prev, stop):
                t = sorted_ids[q]
                words[t >> 6] &= ~(one << (t & 63))
            if j < k:
                prev = hi[j]
        return
    for j in range(k):  # the extra last rank (ids never walkable) stays 0
        for q in range(lo[j], hi[j]):  # explicit loops: a numba slice assignment costs ~50 ns to set up
            alive[q] = 1
    for w in range(len(words)):
        base = w * 64
        acc = np.int64(0)
        for b in range(min(64, vocab_size - base)):
            acc |= np.int64(alive[rank_of_id[base + b]]) << b
        words[w] = acc
    for j in range(k):
        for q in range(lo[j], hi[j]):
            alive[q] = 0


@njit(cache=True, nogil=True)
def mask_walk(table, classes, state, trie, words, scratch):  # pragma: no cover
    """Set in ``words`` (int64) the tokens whose bytes stay alive from ``state``; returns how many.

    ``trie`` is ``TokenTrie.kernel_arrays``. A subtree entered from ``state`` whose byte groups all loop
    back to ``state`` (a JSON string body, ``.*``) is taken whole without walking it.
    """
    byte, depth, end, first, count, groups, group_of_byte, max_depth = trie[:8]
    loops = _looping_groups(table, classes, state, group_of_byte)
    outside = ~loops
    # When ``state`` also loops on every whole UTF-8 character, a subtree of valid UTF-8 that starts at a character
    # boundary and whose ASCII bytes all loop is alive too (a JSON string body on a multilingual vocabulary).
    outside_utf8 = outside
    if _utf8_loops(table, classes, state):
        outside_utf8 = (~loops & ASCII_GROUPS) | NOT_AT_BOUNDARY | INVALID_UTF8
    n = len(byte)
    lo, hi, stack, alive = scratch
    stack[0] = state
    i = 0
    k = 0
    num = 0
    while i < n:
        d = depth[i]
        p = stack[d - 1]
        if p == state and ((groups[i] & outside) == 0 or (groups[i] & outside_utf8) == 0):
            lo[k] = first[i]
            hi[k] = first[end[i]]
            num += hi[k] - lo[k]
            k += 1
            i = end[i]
            continue
        s = table[p, classes[byte[i]]]
        if s == DEAD:
            i = end[i]
            continue
        stack[d] = s
        c = count[i]
        lo[k] = first[i]
        hi[k] = first[i] + c
        k += c != 0
        num += c
        i += 1
    _emit(lo, hi, k, num, trie, words, alive)
    return num


@njit(cache=True, nogil=True)
def lexeme_walk(table, classes, accepting, state, trie, words, cross, scratch):  # pragma: no cover
    """``mask_walk`` without subtree skips, also listing crossing nodes (alive, accepting, with children).

    Crossing nodes go to ``cross``; their count is returned.
    """
    byte, depth, end, first, count, groups, group_of_byte, max_depth = trie[:8]
    n = len(byte)
    lo, hi, stack, alive = scratch
    stack[0] = state
    i = 0
    k = 0
    num = 0
    x = 0
    while i < n:
        d = depth[i]
        s = table[stack[d - 1], classes[byte[i]]]
        if s == DEAD:
            i = end[i]
            continue
        stack[d] = s
        c = count[i]
        lo[k] = first[i]
        hi[k] = first[i] + c
        k += c != 0
        num += c
        if accepting[s] and end[i] > i + 1:
            cross[x] = i
            x += 1
        i += 1
    _emit(lo, hi, k, num, trie, words, alive)
    return x


@njit(cache=True, nogil=True)
def crossing_tokens(nodes, trie, starts):  # pragma: no cover - compiled
    """For crossing ``nodes``: every token that goes on past one (its rank) and where its rest starts in ``buf``."""
    depth, end, first, count = trie[1], trie[2], trie[3], trie[4]
    total = 0
    for j in range(len(nodes)):
        i = nodes[j]
        total += first[end[i]] - first[i] - count[i]
    ranks = np.empty(total, dtype=np.int64)
    flats = np.empty(total, dtype=np.int64)
    k = 0
    for j in range(len(nodes)):
        i = nodes[j]
        d = depth[i]
        for r in range(first[i] + count[i], first[end[i]]):
            ranks[k] = r
            flats[k] = starts[r] + d
            k += 1
    return ranks, flats


@njit(cache=True, nogil=True)
def rest_walk(table, classes, accepting, start, buf, end_of, flats):  # pragma: no cover - compiled
    """Fresh lexemes from byte positions ``flats`` to the end of their tokens.

    Returns ``(stay, at, ends)``: per position, whether the walk reaches its token's end alive; and per crossing
    (the terminal accepts with bytes of the token still to come), the index of its position and where the rest
    after it starts.
    """
    n = len(flats)
    room = 0
    for j in range(n):
        room += end_of[flats[j]] - flats[j]
    stay = np.zeros(n, dtype=np.bool_)
    at = np.empty(room, dtype=np.int64)
    ends = np.empty(room, dtype=np.int64)
    x = 0
    for j in range(n):
        q = flats[j]
        e = end_of[q]
        s = start
        while True:
            s = table[s, classes[buf[q]]]
            if s == DEAD:
                break
            q += 1
            if q == e:
                stay[j] = True
                break
            if accepting[s]:
                at[x] = j
                ends[x] = q
                x += 1
    return stay, at[:x], ends[:x]


@njit(cache=True, nogil=True)
def split_crossings(stays, crosses, cross_rank, cross_flat, num_ranks):  # pragma: no cover - compiled
    """``(good, follow)``: the two verdicts of ``GrammarMaskIndex.split_marks`` in one pass over the crossings.

    ``good`` per token rank: the rest after one of its crossings stays inside a next terminal; ``follow`` per
    crossing: its rest may end such a terminal too and its token is not good already. ``stays``/``crosses`` are
    little-endian packed bits over byte positions.
    """
    good = np.zeros(num_ranks, dtype=np.bool_)
    follow = np.zeros(len(cross_rank), dtype=np.bool_)
    for i in range(len(cross_rank)):
        p = cross_flat[i]
        if (stays[p >> 3] >> (p & 7)) & 1:
            good[cross_rank[i]] = True
        elif (crosses[p >> 3] >> (p & 7)) & 1:
            follow[i] = True
    for i in range(len(cross_rank)):
        if follow[i] and good[cross_rank[i]]:
            follow[i] = False
    return good, follow


@njit(cache=True, nogil=True)
def first_positions(flats, ranks, marks):  # pragma: no cover - compiled
    """``flats`` without repeats (first occurrence kept, with its rank); ``marks`` is all False before and after."""
    n = len(flats)
    keep_flats = np.empty(n, dtype=np.int64)
    keep_ranks = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        p = flats[i]
        if not marks[p]:
            marks[p] = True
            keep_flats[k] = p
            keep_ranks[k] = ranks[i]
            k += 1
    for i in range(k):
        marks[keep_flats[i]] = False
    return keep_flats[:k], keep_ranks[:k]


@njit(cache=True, nogil=True)
def suffix_walk(table, classes, accepting, start, buf, end_of, stays, crosses):  # pragma: no cover
    """Per byte position p: the rest of p's token from p stays inside the terminal / may end it early."""
    for p in range(len(buf)):
        e = end_of[p]
        s = start
        q = p
        while q < e:
            if q > p and accepting[s]:
                crosses[p] = True
            s = table[s, classes[buf[q]]]
            if s == DEAD:
                break
            q += 1
        if s != DEAD:
            stays[p] = True
