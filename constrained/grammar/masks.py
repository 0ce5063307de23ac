"""Token masks for grammar parser states: a reference trie walk and a fast, exact split.

Reference: walk every token's bytes through the parser, tokens sorted by bytes so that a shared prefix is walked
once and a dead prefix prunes every token below it (a trie walk without building a trie).

Fast: the parse is a union of independent threads, one per open lexeme ``(set, terminal, dfa_state)`` (fresh
lexemes of the boundary sets included), so a token is viable iff it is viable for one lexeme, and a lexeme's
verdicts are memoized on its (interned, immutable) Earley set. For one lexeme a token is viable iff
(a) its bytes stay inside the terminal: one vectorized numpy walk of the whole vocabulary per
``(terminal, dfa_state)``, cached as packed words; the same walk lists the crossing points, where the DFA accepts
with bytes still to come; or (b) at some crossing point the rest of the token is viable after the lexeme ends:
the rest starts a fresh lexeme at one of the following boundary sets, and a per-terminal walk of every token
suffix (bit-packed, cached) says whether it stays inside that terminal (viable) or may cross again; those rests
are followed further: when many tokens need it, set by set, each step one compiled walk of all of them
(``rest_walk.RestWalker``); when few do, through the parser byte by byte (cheaper for them).
"""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass

import numpy as np

from constrained.byte_dfa import DEAD
from constrained.grammar.earley import CompiledCFG, EarleySet, GrammarParserState
from constrained.grammar.rest_walk import RestWalker
from constrained.grammar.terminal_cache import terminal_walks
from constrained.token_trie import kernels
from constrained.vocab import Vocabulary

FEW_CROSSING_TOKENS = 512  # up to this many tokens to follow past a lexeme's end, walk them through the parser


@dataclass(frozen=True)
class LexemeEntry:
    """Cached walk of the whole vocabulary from one ``(terminal, dfa_state)``.

    Attributes:
        words: ``int32[num_words]`` tokens whose bytes stay inside the terminal (no EOS bits); read-only.
        cross_rank: ``int64[k]`` per crossing point, the token (as its rank in byte order) that reaches an
            accepting state there with bytes still to come: the lexeme may end inside this token.
        cross_flat: ``int64[k]`` per crossing point, where the rest of the token starts in the byte buffer.
    """

    words: np.ndarray
    cross_rank: np.ndarray
    cross_flat: np.ndarray


class GrammarMaskIndex:
    """Mask computation for one compiled grammar and one vocabulary; shared by all matchers (thread-safe cache)."""

    def __init__(self, cfg: CompiledCFG, vocab: Vocabulary) -> None:
        """Sort the vocabulary by bytes (for prefix walks) and prepare per-terminal byte tables lazily."""
        self.cfg = cfg
        self.vocab = vocab
        self.num_words = (vocab.size + 31) // 32
        # Tokens sorted by bytes (shared with the vocabulary's trie), every token's bytes back to back in that
        # order; ``_end_of[p]`` is where the token holding byte p ends.
        trie = vocab.trie()
        self._kernels = kernels()
        self._trie = trie if self._kernels is not None and trie.kernel_arrays is not None else None
        self.sorted_ids = trie.sorted_ids
        self.rank = np.full(vocab.size, -1, dtype=np.int64)
        self.rank[self.sorted_ids] = np.arange(len(self.sorted_ids))
        self._starts = trie.starts
        self._buf = trie.buf.astype(np.int64)
        self._end_of = trie.end_of
        self._suffix: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._suffix_sets: dict[frozenset[int], tuple[np.ndarray, np.ndarray]] = {}
        self._eos = np.array(vocab.eos_token_ids, dtype=np.int64)
        self._flat: dict[int, np.ndarray] = {}
        self._cache: dict[tuple[int, int], LexemeEntry] = {}
        compiled = (self._kernels, trie.buf) if self._trie is not None and self._kernels is not None else None
        self.rests = RestWalker(cfg, self._buf, self._end_of, len(self.sorted_ids), compiled)
        self._splits: dict[tuple[int, int, frozenset[int]], tuple[np.ndarray | None, np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()

    def warm(self, max_seconds: float = 2.0) -> None:
        """Precompute the suffix walks and fresh-lexeme walks of the terminals built so far, within ``max_seconds``.

        So their cost lands at compile time instead of in the first masks; what the budget leaves out is
        computed on first use as usual.
        """
        deadline = time.monotonic() + max_seconds
        for t in self.cfg.built_terminals():
            if time.monotonic() > deadline:
                break
            self._suffix_walk(t)
            self.entry(t, self.cfg.dfa(t).start)

    # --- shared helpers ------------------------------------------------------------------------------------------

    def _pack(self, ids: np.ndarray) -> np.ndarray:
        bits = np.zeros(self.num_words * 32, dtype=bool)
        bits[ids] = True
        return np.packbits(bits, bitorder="little").view("<i4").astype(np.int32)

    def viable_tokens(
        self, state: GrammarParserState, ids: np.ndarray | list[int], blobs: list[bytes] | None = None
    ) -> list[int]:
        """The tokens among ``ids`` (sorted by bytes) after which the parser is still alive.

        A trie walk over the sorted list: ``stack[d]`` is the state after the first ``d`` bytes of the previous
        token, so a shared prefix is walked once, and when a prefix dies every token under it is skipped with
        one bisection (they are contiguous in sorted order).

        Args:
            state: the parser state.
            ids: token ids sorted by their bytes.
            blobs: their bytes (same order), if the caller has them already.
        """
        id_list = ids if isinstance(ids, list) else ids.tolist()
        if blobs is None:
            tb = self.vocab.token_bytes
            blobs = [tb[i] or b"" for i in id_list]
        step = self.cfg.step
        out: list[int] = []
        stack: list[GrammarParserState] = [state]
        prev = b""
        i, n = 0, len(id_list)
        while i < n:
            b = blobs[i]
            c = 0
            m = min(len(prev), len(b))
            while c < m and prev[c] == b[c]:
                c += 1
            del stack[c + 1 :]
            for j in range(c, len(b)):
                st = step(stack[-1], b[j])
                if st is None:
                    # Every token starting with b[: j + 1] dies here: jump past them all.
                    prev = b[:j]
                    succ = _successor(b[: j + 1])
                    i = n if succ is None else bisect.bisect_left(blobs, succ, i + 1)
                    break
                stack.append(st)
            else:
                prev = b
                out.append(id_list[i])
                i += 1
        return out

    def _finish(self, words: np.ndarray, state: GrammarParserState) -> np.ndarray:
        if len(self._eos) and self.cfg.is_accepting(state):
            _set_bits(words, self._eos)
        words.flags.writeable = False
        return words

    # --- reference -----------------------------------------------------------------------------------------------

    def mask_reference(self, state: GrammarParserState) -> np.ndarray:
        """``int32[num_words]`` mask by walking every token through the parser (slow; the tests' oracle)."""
        ok = self.viable_tokens(state, self.sorted_ids)
        return self._finish(self._pack(np.array(ok, dtype=np.int64)), state)

    # --- fast ----------------------------------------------------------------------------------------------------

    def mask(self, state: GrammarParserState) -> np.ndarray:
        """``int32[num_words]`` mask (read-only): cached per-lexeme walks plus the parser on crossing tokens only."""
        words = np.zeros(self.num_words, dtype=np.int32)
        for k, t, s in dict.fromkeys(self.cfg.open_lexemes(state)):
            e = self.entry(t, s)
            words |= e.words
            if not len(e.cross_rank):
                continue
            # Viability is a union over lexemes (each thread of the parse steps independently), so the crossing
            # verdicts of one lexeme depend only on it: memoize them on its Earley set. Interned sets make the
            # memo hit again whenever the parse returns to the same context.
            key = ("x", t, s)
            got = k.memo.get(key)
            if got is None:
                got = k.memo[key] = self._resolve_crossing(k, t, s, e)
            good: np.ndarray | None
            walked: np.ndarray
            good, walked = got  # type: ignore[misc]
            if good is not None:
                words |= good
            if len(walked):
                _set_bits(words, walked)
        return self._finish(words, state)

    def _resolve_crossing(self, k: EarleySet, t: int, s: int, e: LexemeEntry) -> tuple[np.ndarray | None, np.ndarray]:
        """The tokens that end lexeme ``(k, t, s)`` inside them and are viable: ``(mask words or None, ids)``.

        After the lexeme ends, the rest of the token starts a fresh lexeme at one of the boundary sets that
        follow. Where the rest stays inside such a terminal (``_suffix_walk``: vectorized over every token suffix)
        the token is viable; where it may end that terminal too, the rest is followed further by
        ``RestWalker.viable``; else it is dead. The split into "viable" and "follow it" depends only on ``(t, s)`` and
        the terminals that may start after it, which recur across parse contexts, so it is cached on those; only
        the following depends on ``k``.
        """
        starts = frozenset(t2 for b in self.cfg.end_sets(k, t) for t2 in b.start_terms)
        good, need_rank, need_flat = self._crossing_split(t, s, starts, e)
        if not len(need_rank):
            return good, _NO_IDS
        marks = np.zeros(len(self.sorted_ids), dtype=bool)
        marks[need_rank] = True
        tokens = np.flatnonzero(marks)  # distinct ranks, ascending: byte order (no hashing of long lists)
        if len(tokens) <= FEW_CROSSING_TOKENS:  # a few: the parser's byte walk costs less than array passes
            walked = self.viable_tokens(GrammarParserState((), ((k, t, s),)), self.sorted_ids[tokens])
            return good, np.array(walked, dtype=np.int64)
        ranks = self.rests.viable([(b, need_flat, need_rank) for b in self.cfg.end_sets(k, t)])
        return good, self.sorted_ids[ranks].astype(np.int64)

    def _crossing_split(
        self, t: int, s: int, starts: frozenset[int], e: LexemeEntry
    ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
        """The crossing tokens of lexeme state ``(t, s)``, split by what may follow (cached).

        Returns:
            ``(good, need_rank, need_flat)``: mask words (None if empty) of the tokens whose rest stays inside
            a terminal of ``starts``; and the crossings of the other tokens whose rest may end such a terminal too
            (token rank, where the rest starts), to be followed further.
        """
        key = (t, s, starts)
        got = self._splits.get(key)
        if got is not None:
            return got
        stays, crosses = self._suffix_union(starts)
        good_mark, follow = self.split_marks(stays, crosses, e)
        good = None
        if good_mark.any():
            good = self._pack(self.sorted_ids[np.flatnonzero(good_mark)].astype(np.int64))
            good.flags.writeable = False
        got = (good, e.cross_rank[follow], e.cross_flat[follow])
        with self._lock:
            if len(self._splits) > 1024:  # bounded: an entry is at most one mask row plus the crossings to follow
                self._splits.clear()
            self._splits[key] = got
        return got

    def split_marks(self, stays: np.ndarray, crosses: np.ndarray, e: LexemeEntry) -> tuple[np.ndarray, np.ndarray]:
        """``(good per rank, follow per crossing)`` of ``_crossing_split`` (compiled, or numpy as the reference).

        A token is good when the rest after one of its crossings stays inside a next terminal; a crossing is
        followed when its rest may end such a terminal too and its token is not good already.
        """
        if self._kernels is not None:
            got: tuple[np.ndarray, np.ndarray] = self._kernels.split_crossings(
                stays, crosses, e.cross_rank, e.cross_flat, len(self.sorted_ids)
            )
            return got
        # Boolean marks per rank instead of np.unique: crossing lists run to 10^5 entries for word-like terminals.
        good_mark = np.zeros(len(self.sorted_ids), dtype=bool)
        good_mark[e.cross_rank[_bit(stays, e.cross_flat)]] = True
        return good_mark, _bit(crosses, e.cross_flat) & ~good_mark[e.cross_rank]

    def _suffix_union(self, terminals: frozenset[int]) -> tuple[np.ndarray, np.ndarray]:
        """``_suffix_walk`` OR-ed over a set of terminals (cached per set: the same boundaries recur)."""
        got = self._suffix_sets.get(terminals)
        if got is None:
            stays = np.zeros((len(self._buf) + 7) // 8, dtype=np.uint8)
            crosses = np.zeros_like(stays)
            for t2 in terminals:
                s2, c2 = self._suffix_walk(t2)
                stays |= s2
                crosses |= c2
            got = (stays, crosses)
            with self._lock:
                if len(self._suffix_sets) > 256:  # bounded: one entry is 2 bits per vocabulary byte
                    self._suffix_sets.clear()
                self._suffix_sets[terminals] = got
        return got

    def _suffix_walk(self, terminal: int) -> tuple[np.ndarray, np.ndarray]:
        """Walk every token suffix through a fresh lexeme of ``terminal`` (cached).

        Returns:
            ``(stays, crosses)``, bit-packed (``np.packbits``, little) over byte positions p of the byte buffer:
            the rest of p's token from p stays inside the terminal / the terminal may end before the token does.
        """
        got = self._suffix.get(terminal)
        if got is not None:
            return got
        shared = terminal_walks(self.cfg.dfa(terminal), self.vocab.fingerprint())
        if shared.suffix is not None:
            self._suffix[terminal] = shared.suffix
            return shared.suffix
        if self._trie is None or self._kernels is None:
            got = self.suffix_walk_reference(terminal)
        else:
            dfa = self.cfg.dfa(terminal)
            stays = np.zeros(len(self._buf), dtype=bool)
            crosses = np.zeros(len(self._buf), dtype=bool)
            start = int(dfa.start)
            self._kernels.suffix_walk(dfa.table, dfa.classes, dfa.accepting, start, self._trie.buf, self._end_of,
                                      stays, crosses)  # fmt: skip
            got = (np.packbits(stays, bitorder="little"), np.packbits(crosses, bitorder="little"))
        self._suffix[terminal] = shared.suffix = got
        return got

    def suffix_walk_reference(self, terminal: int) -> tuple[np.ndarray, np.ndarray]:
        """``_suffix_walk`` by a numpy walk of every byte position at once (no cache; the tests' oracle)."""
        flat = self._table(terminal)
        dfa = self.cfg.dfa(terminal)
        acc = dfa.accepting
        total = len(self._buf)
        stays = np.zeros(total, dtype=bool)
        crosses = np.zeros(total, dtype=bool)
        idx = np.arange(total)
        cur = np.full(total, dfa.start, dtype=np.int64)
        d = 0
        while len(idx):
            done = idx + d == self._end_of[idx]
            stays[idx[done]] = True  # only live walks are kept, so reaching the token's end means it stays inside
            idx, cur = idx[~done], cur[~done]
            if d:
                crosses[idx[acc[cur]]] = True
            cur = flat[cur * 256 + self._buf[idx + d]]
            live = cur != DEAD
            idx, cur = idx[live], cur[live]
            d += 1
        # Packed: 1 bit per vocabulary byte per terminal (~100 KB for a 128k vocabulary) instead of 1 byte.
        return np.packbits(stays, bitorder="little"), np.packbits(crosses, bitorder="little")

    def entry(self, terminal: int, dfa_state: int) -> LexemeEntry:
        """The cached vocabulary walk from ``(terminal, dfa_state)`` (computed on first use)."""
        key = (terminal, dfa_state)
        got = self._cache.get(key)
        if got is None:
            dfa = self.cfg.dfa(terminal)
            # A fresh lexeme's walk is the same in every grammar using this terminal: shared (terminal_cache.py).
            shared = terminal_walks(dfa, self.vocab.fingerprint()) if dfa_state == dfa.start else None
            got = shared.start_entry if shared is not None else None
            if got is None:
                got = self._compute(terminal, dfa_state)
                if shared is not None:
                    shared.start_entry = got
            with self._lock:
                got = self._cache.setdefault(key, got)
        return got

    def _table(self, terminal: int) -> np.ndarray:
        flat = self._flat.get(terminal)
        if flat is None:
            dfa = self.cfg.dfa(terminal)
            # Expand byte classes once: [state * 256 + byte] -> next state, so the walk is one gather per byte.
            flat = np.ascontiguousarray(dfa.table[:, dfa.classes]).reshape(-1).astype(np.int64)
            self._flat[terminal] = flat
        return flat

    def _compute(self, terminal: int, dfa_state: int) -> LexemeEntry:
        k, trie = self._kernels, self._trie
        if k is None or trie is None or trie.kernel_arrays is None:
            return self.compute_reference(terminal, dfa_state)
        dfa = self.cfg.dfa(terminal)
        words = np.zeros((self.num_words + 1) // 2, dtype=np.int64)
        cross = np.empty(trie.num_nodes, dtype=np.int64)
        num = int(k.lexeme_walk(dfa.table, dfa.classes, dfa.accepting, int(dfa_state), trie.kernel_arrays, words, cross,
                                trie.scratch()))  # fmt: skip
        out = words.view("<i4")[: self.num_words].astype(np.int32)
        out.flags.writeable = False
        # Crossing nodes -> every token through them that goes on, and where its rest starts in the byte buffer.
        ranks, flats = k.crossing_tokens(cross[:num], trie.kernel_arrays, self._starts)
        return LexemeEntry(out, ranks, flats)

    def compute_reference(self, terminal: int, dfa_state: int) -> LexemeEntry:
        """The ``LexemeEntry`` by a numpy walk of the whole vocabulary (no cache; the tests' oracle)."""
        walk = self.vocab.walk_data()
        flat = self._table(terminal)
        acc = self.cfg.dfa(terminal).accepting
        n = len(walk.order)
        final = np.zeros(n, dtype=np.int64)
        ranks: list[np.ndarray] = []
        flats: list[np.ndarray] = []
        order = walk.order.astype(np.int64)
        idx = np.arange(n)  # positions in ``walk.order`` still alive, ascending (so longest tokens first)
        cur = np.full(n, dfa_state, dtype=np.int64)
        for j, count in enumerate(walk.counts):
            k = int(np.searchsorted(idx, count))
            final[idx[k:]] = cur[k:]  # tokens of length j end here
            idx, cur = idx[:k], cur[:k]
            if not k:
                break
            if j:
                # Accepting after j bytes with byte j still to come: the lexeme may end inside this token.
                r = self.rank[order[idx[acc[cur]]]]
                ranks.append(r)
                flats.append(self._starts[r] + j)
            cur = flat[cur * 256 + walk.columns[j][idx]]
            alive = cur != DEAD
            idx, cur = idx[alive], cur[alive]
        else:
            final[idx] = cur
        words = self._pack(order[final != DEAD])
        words.flags.writeable = False
        empty = np.zeros(0, dtype=np.int64)
        cross_rank = np.concatenate(ranks) if ranks else empty
        cross_flat = np.concatenate(flats) if flats else empty
        return LexemeEntry(words, cross_rank, cross_flat)


_NO_IDS = np.zeros(0, dtype=np.int64)


def _successor(prefix: bytes) -> bytes | None:
    """The smallest byte string above every string that starts with ``prefix`` (None: there is none)."""
    p = prefix.rstrip(b"\xff")
    return p[:-1] + bytes([p[-1] + 1]) if p else None


def _bit(packed: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Bits at ``positions`` of a little-endian ``np.packbits`` array, as bool."""
    return ((packed[positions >> 3] >> (positions & 7).astype(np.uint8)) & 1).astype(bool)


def _set_bits(words: np.ndarray, ids: np.ndarray) -> None:
    """Set the bits of token ``ids`` (int64) in the int32 mask ``words`` in place."""
    np.bitwise_or.at(words, ids >> 5, (np.int64(1) << (ids & 31)).astype(np.uint32).view(np.int32))
