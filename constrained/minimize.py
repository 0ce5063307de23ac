"""Minimization of the subset-construction table: dead-state pruning, Hopcroft, renumbering.

Internal to ``byte_dfa``. Every output state other than the dead state 0 can reach acceptance.
"""

from __future__ import annotations

import time
from types import ModuleType

import numpy as np

from constrained.errors import BudgetExceeded

DEAD = 0
# Above this many live edges Hopcroft (pure Python, ~1 us per edge visit) is replaced by merging identical
# rows: still exact (same language, every state live), just not guaranteed minimal.
HOPCROFT_MAX_EDGES = 400_000


# --- Hopcroft minimization -------------------------------------------------------------------------------------


def minimize(
    table: np.ndarray, acc: np.ndarray, deadline: float, *, compiled: bool | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Merge equivalent states; returns the table renumbered (dead 0, then BFS order from start), acc, start.

    Minimization of the *partial* DFA: states that cannot reach acceptance are folded into the dead state first
    and transitions into it are dropped, so the work is proportional to live edges (a Unicode-letter DFA has ~100
    byte classes but only a few live ones per state). With the compiled kernels it runs Valmari and Lehtinen's
    partition refinement in numba (``minimize_kernels``); otherwise this module's Python Hopcroft, the reference
    the tests compare it against (on a partial DFA both initial blocks must be splitters there).

    Args:
        table: ``int[S, C]`` subset-construction table, dead state 0, start state 1.
        acc: ``bool[S]``.
        deadline: a ``time.monotonic()`` limit.
        compiled: force (True) or forbid (False) the compiled path; None: use it when numba is enabled.
    """
    num = table.shape[0]
    start = 1 if num > 1 else DEAD
    src, cls = np.nonzero(table != DEAD)
    tgt = table[src, cls]
    by_tgt = np.argsort(tgt, kind="stable")
    live = _co_reachable(num, src, tgt, by_tgt, acc)
    keep = live[src] & live[tgt]
    kernels = _kernels() if compiled is not False else None
    if compiled and kernels is None:
        raise RuntimeError("compiled minimization requested but numba is not available")
    if kernels is not None:
        ids = np.full(num, -1, dtype=np.int64)
        live_ids = np.flatnonzero(live)
        ids[live_ids] = np.arange(len(live_ids))
        of_live, num_blocks = kernels.state_blocks(
            len(live_ids), ids[src[keep]], cls[keep].astype(np.int64), ids[tgt[keep]], acc[live_ids]
        )
        block_arr = np.full(num, -1, dtype=np.int64)
        block_arr[live_ids] = of_live
        if time.monotonic() > deadline:
            raise BudgetExceeded("max_compile_seconds", "regex minimization took too long")
        return _renumber(table, acc, block_arr, int(num_blocks), start, kernels)
    by_tgt = by_tgt[keep[by_tgt]]  # filtering a sorted order keeps it sorted
    cuts = np.searchsorted(tgt[by_tgt], np.arange(num + 1)).tolist()
    if len(by_tgt) > HOPCROFT_MAX_EDGES:
        return _merge_identical_rows(table, acc, live, start, deadline)
    pairs = list(zip(cls[by_tgt].tolist(), src[by_tgt].tolist(), strict=True))
    # pred[t] = [(class, source), ...] over live edges only.
    pred = [pairs[cuts[s] : cuts[s + 1]] for s in range(num)]
    live_list = np.flatnonzero(live).tolist()
    acc_list = acc.tolist()
    block = [-1] * num  # -1: dead (never split)
    blocks: list[set[int]] = []
    for group in ([s for s in live_list if acc_list[s]], [s for s in live_list if not acc_list[s]]):
        if group:
            for s in group:
                block[s] = len(blocks)
            blocks.append(set(group))
    work = list(range(len(blocks)))
    steps = 0
    while work:
        a = work.pop()
        by_class: dict[int, list[int]] = {}
        for t in list(blocks[a]):
            for c, s in pred[t]:
                got = by_class.get(c)
                if got is None:
                    by_class[c] = [s]
                else:
                    got.append(s)
        for sources in by_class.values():
            touched: dict[int, list[int]] = {}
            for s in sources:
                b = block[s]
                got = touched.get(b)
                if got is None:
                    touched[b] = [s]
                else:
                    got.append(s)
            for b, hit in touched.items():
                rest = len(blocks[b]) - len(hit)
                if rest == 0:
                    continue
                # Move the smaller half into a new block; Hopcroft only needs the smaller half as a splitter
                # (if b is still pending it stays pending as the remainder).
                moved = set(hit) if len(hit) <= rest else blocks[b] - set(hit)
                blocks[b] -= moved
                new = len(blocks)
                blocks.append(moved)
                for s in moved:
                    block[s] = new
                work.append(new)
        steps += 1
        if steps & 63 == 0 and time.monotonic() > deadline:
            raise BudgetExceeded("max_compile_seconds", "regex minimization took too long")
    return _renumber(table, acc, np.array(block, dtype=np.int64), len(blocks), start)


def _kernels() -> ModuleType | None:
    """The compiled minimization kernel, when the compiled kernels are enabled (``token_trie.kernels()``)."""
    from constrained.token_trie import kernels

    if kernels() is None:
        return None
    from constrained import minimize_kernels

    return minimize_kernels


def _merge_identical_rows(
    table: np.ndarray, acc: np.ndarray, live: np.ndarray, start: int, deadline: float
) -> tuple[np.ndarray, np.ndarray, int]:
    """Partial minimization for big DFAs: repeatedly merge states with equal (accepting, row), vectorized."""
    num = table.shape[0]
    block = np.where(live, np.arange(num), -1)
    for _ in range(16):
        if time.monotonic() > deadline:
            raise BudgetExceeded("max_compile_seconds", "regex minimization took too long")
        rows = np.where(live[table], block[table], -1)
        sig = np.concatenate([acc[:, None].astype(rows.dtype), rows], axis=1)
        first, inverse = unique_columns(np.ascontiguousarray(sig[live].T))
        new_block = np.full(num, -1, dtype=np.int64)
        new_block[live] = np.flatnonzero(live)[first][inverse]  # representative state per class of rows
        if np.array_equal(new_block, block):
            break
        block = new_block
    reps = np.flatnonzero(live & (block == np.arange(num)))
    ids = np.full(num, -1, dtype=np.int64)
    ids[reps] = np.arange(len(reps))
    return _renumber(table, acc, np.where(block >= 0, ids[np.maximum(block, 0)], -1), len(reps), start)


def unique_columns(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(first, inverse)`` of the distinct columns, like ``np.unique(axis=1)`` but via a verified hash.

    ``np.unique(axis=1)`` sorts columns as opaque records and takes ~0.5 s on a 10k-state table; hashing each
    column to one uint64 and checking the result exactly is a few ms.
    """
    rng = np.random.default_rng(0x5EED)
    weights = np.asarray(rng.integers(1, 2**63, size=table.shape[0], dtype=np.uint64), dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = (table.astype(np.uint64) * weights.reshape(-1, 1)).sum(axis=0, dtype=np.uint64)
    _, first, inverse = np.unique(h, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if not np.array_equal(table[:, first[inverse]], table):  # a hash collision: take the slow exact path
        _, first, inverse = np.unique(table, axis=1, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
    return first, inverse


def _co_reachable(num: int, src: np.ndarray, tgt: np.ndarray, order: np.ndarray, acc: np.ndarray) -> np.ndarray:
    """``bool[num]``: states from which an accepting state can be reached (reverse BFS; ``order`` sorts tgt)."""
    cuts = np.searchsorted(tgt[order], np.arange(num + 1)).tolist()
    sources = src[order].tolist()
    seen = acc.copy()
    seen[DEAD] = False
    stack = np.flatnonzero(seen).tolist()
    while stack:
        t = stack.pop()
        for s in sources[cuts[t] : cuts[t + 1]]:
            if not seen[s]:
                seen[s] = True
                stack.append(s)
    return seen


def _renumber(
    table: np.ndarray,
    acc: np.ndarray,
    block: np.ndarray,
    num_blocks: int,
    start: int,
    kernels: ModuleType | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Quotient table with the dead state 0 and live blocks in BFS order from the start block.

    Args:
        table: the unminimized table.
        acc: its accepting flags.
        block: ``int64[S]`` block id per state (``0 .. num_blocks - 1``), -1 for states folded into the dead state.
        num_blocks: number of blocks.
        start: the start state.
        kernels: ``minimize_kernels`` for the compiled BFS, or None for the Python one.
    """
    states = np.flatnonzero(block >= 0)
    reps = np.full(num_blocks, table.shape[0], dtype=np.int64)
    np.minimum.at(reps, block[states], states)  # lowest state of each block represents it
    # The quotient over blocks (-1: dead), built in one gather; the BFS numbering is then the only loop.
    quotient = block[table[reps]] if num_blocks else np.zeros((0, table.shape[1]), dtype=np.int64)
    first = int(block[start]) if start != DEAD else -1
    if kernels is not None:
        order = kernels.bfs_order(quotient, first)
    else:
        order = np.array(_bfs_order(quotient.tolist(), first), dtype=np.int64)
    remap = np.zeros(num_blocks + 1, dtype=np.int32)  # remap[-1] (dead) stays 0
    remap[order] = np.arange(1, len(order) + 1, dtype=np.int32)
    new_table = np.zeros((len(order) + 1, table.shape[1]), dtype=np.int32)
    new_acc = np.zeros(len(order) + 1, dtype=bool)
    if len(order):
        new_table[1:] = remap[quotient[order]]
        new_acc[1:] = acc[reps[order]]
    return new_table, new_acc, (1 if len(order) else DEAD)


def _bfs_order(rows: list[list[int]], first: int) -> list[int]:
    """Blocks in breadth-first order from block ``first`` over the quotient rows (-1: dead)."""
    if first < 0:
        return []
    seen = [False] * len(rows)
    seen[first] = True
    queue = [first]
    i = 0
    while i < len(queue):
        for b in rows[queue[i]]:
            if b >= 0 and not seen[b]:
                seen[b] = True
                queue.append(b)
        i += 1
    return queue
