"""``TokenIndex``: per DFA state, which tokens are viable and where each lands; computed lazily, cached.

A first visit walks the vocabulary trie against the DFA in compiled code (``token_trie``; a dead prefix skips
its whole subtree). Without numba it walks every distinct token *class string* through the DFA at once with
numpy, one byte column at a time (tokens whose bytes map to the same class sequence behave identically, so they
are walked once); that walk is also the reference the tests compare the compiled one against. The result is
cached per state as the packed int32 mask words; later visits are a lookup and a copy.

Mask layout (shared with xgrammar / llguidance / vLLM): token ``t`` is bit ``t & 31`` of word ``t >> 5``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from constrained.byte_dfa import DEAD, ByteDFA
from constrained.token_trie import kernels
from constrained.vocab import Vocabulary

_MUL = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit multiplier for the class-string hash


@dataclass(frozen=True)
class StateEntry:
    """Cached result for one DFA state: only the packed mask.

    The next state per token is not stored: it is one short byte walk (``ByteDFA.walk``, ~1 us) when a token is
    taken, while storing it would cost ~1 MB per permissive state on a 128k vocabulary (a ``maxLength: 200``
    string has 200 such states).

    Attributes:
        words: ``int32[num_words]`` packed mask (EOS bits set iff the state is accepting); read-only.
        num_allowed: number of set bits (EOS included).
    """

    words: np.ndarray
    num_allowed: int


class TokenIndex:
    """Lazily built token transitions of one ``ByteDFA`` under one ``Vocabulary``; safe to share across threads."""

    def __init__(self, dfa: ByteDFA, vocab: Vocabulary) -> None:
        """Prepare the class-string walk (one pass over the vocabulary); states are computed on first use."""
        self.dfa = dfa
        self.vocab = vocab
        self.num_words = (vocab.size + 31) // 32
        self._flat = dfa.table.reshape(-1).astype(np.int64)
        self._stride = dfa.num_classes
        self._eos = np.array(vocab.eos_token_ids, dtype=np.int64)
        self._cache: dict[int, StateEntry] = {}
        self._lock = threading.Lock()
        self._kernels = kernels()
        self._trie = vocab.trie() if self._kernels is not None else None
        if self._trie is not None and self._trie.kernel_arrays is None:
            self._kernels = self._trie = None  # trie cached before numba was enabled: use the reference walk
        self._prepared = False
        if self._kernels is None:
            self._prepare()

    def _prepare(self) -> None:
        """Collapse tokens into distinct class strings; keep column-major classes of one representative each."""
        walk = self.vocab.walk_data()
        classes = self.dfa.classes.astype(np.int64)
        ccols = [classes[col] for col in walk.columns]
        n = len(walk.order)
        h = np.zeros(n, dtype=np.uint64)
        for j, col in enumerate(ccols):
            h[: walk.counts[j]] = h[: walk.counts[j]] * _MUL + (col.astype(np.uint64) + np.uint64(1))
        key = h * _MUL + walk.lengths.astype(np.uint64)
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        rep = first[inverse.reshape(-1)]
        # Verify: a 64-bit hash collision must never merge different class strings (exactness over speed).
        same = bool(np.array_equal(walk.lengths[rep], walk.lengths))
        for j, col in enumerate(ccols):
            if not same:
                break
            same = bool(np.array_equal(col[rep[: walk.counts[j]]], col))
        if not same:
            first = np.arange(n)
            rep = first
        reps = np.sort(first)  # positions in ``order`` are length-descending, so reps stay length-descending
        pos_of_rep = np.full(n + 1, -1, dtype=np.int64)
        pos_of_rep[reps] = np.arange(len(reps))
        rep_lengths = walk.lengths[reps]
        self._rep_counts = [int(np.searchsorted(-rep_lengths, -j, side="left")) for j in range(len(ccols))]
        self._rep_cols = [ccols[j][reps[: self._rep_counts[j]]] for j in range(len(ccols))]
        self._num_reps = len(reps)
        # id -> representative slot; ids that are never walkable point at a trailing slot that stays DEAD.
        self._slot_of_id = np.full(self.vocab.size, len(reps), dtype=np.int64)
        self._slot_of_id[walk.order] = pos_of_rep[rep]
        self._prepared = True

    @property
    def num_distinct(self) -> int:
        """Number of distinct token class strings (walks per first visit of the reference path)."""
        with self._lock:
            if not self._prepared:
                self._prepare()
        return self._num_reps

    def entry(self, state: int) -> StateEntry:
        """The cached entry for ``state``, computing it on first visit."""
        got = self._cache.get(state)
        if got is None:
            got = self._compute(state)
            with self._lock:
                got = self._cache.setdefault(state, got)
        return got

    def _compute(self, state: int) -> StateEntry:
        k, trie = self._kernels, self._trie
        if k is None or trie is None:
            return self.compute_reference(state)
        words = np.zeros((self.num_words + 1) // 2, dtype=np.int64)
        num = 0
        if state != DEAD:
            table, classes = self.dfa.table, self.dfa.classes
            num = int(k.mask_walk(table, classes, int(state), trie.kernel_arrays, words, trie.scratch()))
        out = words.view("<i4")[: self.num_words].astype(np.int32)
        if state != DEAD and self.dfa.accepting[state] and len(self._eos):
            np.bitwise_or.at(out, self._eos >> 5, (np.int64(1) << (self._eos & 31)).astype(np.uint32).view(np.int32))
            num += len(self._eos)
        out.flags.writeable = False
        return StateEntry(out, num)

    def compute_reference(self, state: int) -> StateEntry:
        """The entry for ``state`` by the numpy class-string walk (no cache; the tests' oracle)."""
        with self._lock:
            if not self._prepared:
                self._prepare()
        final = np.full(self._num_reps + 1, DEAD, dtype=np.int64)
        if state != DEAD:
            flat, stride = self._flat, self._stride
            idx = np.arange(self._num_reps)
            cur = np.full(self._num_reps, state, dtype=np.int64)
            for j, count in enumerate(self._rep_counts):
                # Entries at positions >= count have no byte j: they end here with their current state.
                k = int(np.searchsorted(idx, count))
                final[idx[k:]] = cur[k:]
                idx, cur = idx[:k], cur[:k]
                if not k:
                    break
                cur = flat[cur * stride + self._rep_cols[j][idx]]
                alive = cur != DEAD
                idx, cur = idx[alive], cur[alive]
            else:
                final[idx] = cur
        viable = final[self._slot_of_id] != DEAD
        if self.dfa.accepting[state] and len(self._eos):
            viable[self._eos] = True
        bits = np.zeros(self.num_words * 32, dtype=bool)
        bits[: self.vocab.size] = viable
        words = np.packbits(bits, bitorder="little").view("<i4").astype(np.int32)
        words.flags.writeable = False
        return StateEntry(words, int(np.count_nonzero(viable)))

    def allowed_ids(self, state: int) -> np.ndarray:
        """Sorted ids allowed in ``state`` (EOS included iff accepting), unpacked from the cached mask."""
        words = self.entry(state).words
        bits = np.unpackbits(words.astype("<i4").view(np.uint8), bitorder="little")
        return np.flatnonzero(bits[: self.vocab.size])

    def next_state(self, state: int, token_id: int) -> int:
        """The state after ``token_id`` (not EOS) from ``state``, or ``DEAD`` if the token is not allowed."""
        e = self.entry(state)
        if not (int(e.words[token_id >> 5]) >> (token_id & 31)) & 1:
            return DEAD
        data = self.vocab.token_bytes[token_id]
        return self.dfa.walk(state, data) if data else DEAD
