"""Following token rests past a lexeme's end through the grammar, for many tokens at once.

When a token ends a lexeme and its rest may end the next terminal too, the mask index (``masks.py``) must know
whether the rest can be parsed from the boundary sets that follow. For many such tokens this walks all their rests
together: set by set, each step one compiled walk (``trie_kernels.rest_walk``) of every rest from a fresh lexeme
of one terminal, splitting into rests that reach their token's end alive (viable) and crossings, which continue
from the sets after that terminal. Each (set, byte position) is followed once; the position alone names the token.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from constrained.byte_dfa import DEAD
from constrained.grammar.earley import CompiledCFG, EarleySet

_NO_IDS = np.zeros(0, dtype=np.int64)


class RestWalker:
    """Follows token rests through one compiled grammar over one vocabulary's byte buffer (see the module doc)."""

    def __init__(self, cfg: CompiledCFG, buf: np.ndarray, end_of: np.ndarray, num_tokens: int, compiled: Any) -> None:
        """Walk ``cfg`` over ``buf`` (every token's bytes, in rank order; ``end_of[p]``: where p's token ends).

        Args:
            cfg: the grammar.
            buf: ``int64`` bytes of the tokens, back to back in rank (byte) order.
            end_of: per position of ``buf``, the end of the token holding it.
            num_tokens: how many ranks there are.
            compiled: ``(kernels module, uint8 buffer)`` for the compiled walks, or None for the numpy ones.
        """
        self._cfg = cfg
        self._buf = buf
        self._end_of = end_of
        self._num_tokens = num_tokens
        self._kernels: Any = None if compiled is None else compiled[0]
        self._raw: np.ndarray | None = None if compiled is None else compiled[1]
        self._heads: dict[int, frozenset[int]] = {}
        self._local = threading.local()

    def viable(self, todo: list[tuple[EarleySet, np.ndarray, np.ndarray]]) -> np.ndarray:
        """The ranks of the tokens whose rest is viable, for ``(set, rest starts, token ranks)`` triples.

        A rest starting at byte position p right after boundary set ``b`` is viable iff for some terminal
        ``b`` expects, a fresh lexeme reaches the token's end alive, or ends at some q inside the token and the
        rest from q is viable after one of the sets that follow. Every step is a numpy walk of all the rests of
        one (set, terminal) at once, so a token costs a few array operations instead of a parser step per byte.
        Each (set, position) pair is followed once: the pair alone decides the verdict.
        """
        viable = np.zeros(self._num_tokens, dtype=bool)
        # Rests waiting per set, taken set by set in arrival order, so all the rests that reach one set are
        # walked together; and per set, the rest starts already followed from it: the first batch as is (most
        # sets are met once), a mark per buffer position from the second on.
        pending: dict[EarleySet, list[tuple[np.ndarray, np.ndarray]]] = {}
        for b, flats, ranks in todo:
            pending.setdefault(b, []).append((flats, ranks))
        seen: dict[EarleySet, np.ndarray] = {}
        while pending:
            b = next(iter(pending))
            parts = pending.pop(b)
            flats = np.concatenate([f for f, _ in parts]) if len(parts) > 1 else parts[0][0]
            ranks = np.concatenate([r for _, r in parts]) if len(parts) > 1 else parts[0][1]
            keep = ~viable[ranks]
            done = seen.get(b)
            if done is not None and done.dtype != bool:
                marks = np.zeros(len(self._buf), dtype=bool)
                marks[done] = True
                done = seen[b] = marks
            if done is not None:
                keep &= ~done[flats]
            flats, ranks = flats[keep], ranks[keep]
            if not len(flats):
                continue
            flats, ranks = self.first_positions(flats, ranks)  # one rest per position
            if done is None:
                seen[b] = flats
            else:
                done[flats] = True
            heads = set(np.flatnonzero(np.bincount(self._buf[flats], minlength=256)).tolist())
            for t2 in b.start_terms:
                if heads.isdisjoint(self.first_bytes(t2)):
                    continue  # no rest here starts with a byte this terminal can start with
                stay, at, ends = self.walk(t2, flats)
                viable[ranks[stay]] = True
                if len(at):
                    for b2 in self._cfg.end_sets(b, t2):
                        pending.setdefault(b2, []).append((ends, ranks[at]))
        return np.flatnonzero(viable)

    def first_positions(self, flats: np.ndarray, ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``flats`` without repeats, each with its token rank (compiled: no hashing of large arrays)."""
        if self._kernels is None:
            flats, first = np.unique(flats, return_index=True)
            return flats, ranks[first]
        marks = getattr(self._local, "marks", None)
        if marks is None:
            marks = self._local.marks = np.zeros(len(self._buf), dtype=bool)  # per thread, all False between uses
        got: tuple[np.ndarray, np.ndarray] = self._kernels.first_positions(flats, ranks, marks)
        return got

    def first_bytes(self, terminal: int) -> frozenset[int]:
        """The bytes a lexeme of ``terminal`` can start with (cached)."""
        got = self._heads.get(terminal)
        if got is None:
            dfa = self._cfg.dfa(terminal)
            live = dfa.table[dfa.start][dfa.classes] != DEAD
            got = self._heads[terminal] = frozenset(np.flatnonzero(live).tolist())
        return got

    def walk(self, terminal: int, flats: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Walk fresh lexemes of ``terminal`` from byte positions ``flats`` to the end of their tokens.

        Returns:
            ``(stay, at, ends)``: bool per position, the walk reaches its token's end alive; and the crossings,
            as the index of the position they came from and the position after the byte where the terminal
            accepts with bytes of the token still to come.
        """
        if self._kernels is None:
            return self.walk_reference(terminal, flats)
        dfa = self._cfg.dfa(terminal)
        got: tuple[np.ndarray, np.ndarray, np.ndarray] = self._kernels.rest_walk(
            dfa.table, dfa.classes, dfa.accepting, int(dfa.start), self._raw, self._end_of, flats
        )
        return got

    def walk_reference(self, terminal: int, flats: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``walk`` by numpy, one array step per byte depth for all positions (the tests' oracle)."""
        dfa = self._cfg.dfa(terminal)
        table, classes, acc = dfa.table, dfa.classes, dfa.accepting
        idx = np.arange(len(flats))
        pos = flats.copy()
        end = self._end_of[flats]
        cur = np.full(len(flats), dfa.start, dtype=np.int64)
        stay = np.zeros(len(flats), dtype=bool)
        at: list[np.ndarray] = []
        ends: list[np.ndarray] = []
        while len(idx):
            cur = table[cur, classes[self._buf[pos]]]
            live = cur != DEAD
            idx, cur, pos, end = idx[live], cur[live], pos[live] + 1, end[live]
            over = pos == end
            stay[idx[over]] = True
            idx, cur, pos, end = idx[~over], cur[~over], pos[~over], end[~over]
            crossing = acc[cur]
            at.append(idx[crossing])
            ends.append(pos[crossing])
        return stay, np.concatenate(at) if at else _NO_IDS, np.concatenate(ends) if ends else _NO_IDS
