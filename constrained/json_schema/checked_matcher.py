"""The run-time checks around a schema's matcher: masks without tokens that repeat an item or a key.

``CheckedMatcher`` has the methods of the matcher it wraps. Its mask is the automaton's mask minus the tokens
whose bytes would end an item equal to an earlier item of a checked array (``unique_plan.py``), write a key a
checked object already has, or close it without a required key (``key_plan.py``), or leave an item or key (or
the next one) with no completion of a new value. Only tokens that could do so are read: while an item or key is
written, those that take its automaton onto a state with finitely many completions or out of it (per state, a
token index over the automaton with those states removed says which); between items all allowed ones (few);
inside a checked object, those that may end it or start its next member (holding a quote, comma or brace); and
with no checked container open, those that may open one (holding ``[`` or ``{``).
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

import numpy as np

from constrained.mask_cursor import MaskCursor
from constrained.vocab import Vocabulary

from .json_scanner import KEY, VALUE, ScanState, can_finish, feed, item_prefix, key_prefix
from .run_time_checks import RunTimeChecks

# Token flags: holds "[" (may open a checked array); holds a quote; holds a byte after which a value outside a
# string may be whole or settled (brackets, separators, whitespace, digits, letters of true/false/null); holds a
# backslash; holds two quotes or more (may end a string item and write another); holds "{" (may open a checked
# object); holds "," or "}" (may end a member or an object); starts a key and stays in it (a quote first, no
# other quote, no backslash).
_OPEN, _QUOTE, _VALUE_END, _BACKSLASH, _QUOTES, _OPEN_OBJECT, _MEMBER_END, _KEY_START = 1, 2, 4, 8, 16, 32, 64, 128
_VALUE_END_BYTES = frozenset(b'[]{},: \t\n\r0123456789truefalsn')
_facts_cache: dict[str, VocabFacts] = {}
_facts_lock = threading.Lock()


@dataclass(frozen=True)
class VocabFacts:
    """What the check needs to know of a vocabulary: byte flags per token, and tokens by their bytes."""

    flags: np.ndarray
    by_bytes: dict[bytes, list[int]]
    sorted_bytes: list[bytes]
    sorted_ids: list[int]

    def starting_with(self, head: bytes) -> list[int]:
        """Ids of the tokens whose bytes start with ``head``."""
        i = bisect_left(self.sorted_bytes, head)
        out = []
        while i < len(self.sorted_bytes) and self.sorted_bytes[i].startswith(head):
            out.append(self.sorted_ids[i])
            i += 1
        return out


def vocab_facts(vocab: Vocabulary) -> VocabFacts:
    """The ``VocabFacts`` of ``vocab`` (computed once per vocabulary)."""
    key = vocab.fingerprint()
    with _facts_lock:
        hit = _facts_cache.get(key)
    if hit is not None:
        return hit
    flags = np.zeros(vocab.size, dtype=np.uint8)
    by_bytes: dict[bytes, list[int]] = {}
    for i, data in enumerate(vocab.token_bytes):
        if data and vocab.walkable(i):
            flags[i] = (
                (_OPEN if 0x5B in data else 0)
                | (_QUOTE if 0x22 in data else 0)
                | (0 if _VALUE_END_BYTES.isdisjoint(data) else _VALUE_END)
                | (_BACKSLASH if 0x5C in data else 0)
                | (_QUOTES if data.count(0x22) > 1 else 0)
                | (_OPEN_OBJECT if 0x7B in data else 0)
                | (_MEMBER_END if 0x2C in data or 0x7D in data else 0)
                | (_KEY_START if data[0] == 0x22 and data.count(0x22) == 1 and 0x5C not in data else 0)
            )
            by_bytes.setdefault(data, []).append(i)
    ordered = sorted((data, i) for data, ids in by_bytes.items() for i in ids)
    facts = VocabFacts(flags, by_bytes, [d for d, _ in ordered], [i for _, i in ordered])
    with _facts_lock:
        if len(_facts_cache) > 8:
            _facts_cache.clear()
        _facts_cache[key] = facts
    return facts


def _towards_seen(facts: VocabFacts, content: bytes, seen: frozenset[Any], lead: bytes = b"") -> list[int]:
    """Tokens that take a string whose content so far is ``content`` (no backslash) nearer to a seen string.

    Only those can end it as a repeat or leave it with nothing new to become: the token's bytes up to a quote are
    the next bytes of a seen string (ending it there, with the quote, or stopping short of it). ``lead`` is what
    the tokens write first (the opening quote, when the string has not begun).
    """
    out: list[int] = []
    for value in seen:
        if value[0] != "string":
            continue
        whole = value[1].encode("utf-8", "surrogatepass")
        if not whole.startswith(content):
            continue
        rest = whole[len(content) :]
        cut = next((i for i, b in enumerate(rest) if b in (0x22, 0x5C) or b < 0x20), None)
        for end in range(0 if lead else 1, (len(rest) if cut is None else cut) + 1):
            out += facts.by_bytes.get(lead + rest[:end], [])
        if cut is None:
            out += facts.starting_with(lead + rest + b'"')
    return out


_STRUCTURE = frozenset(b",{}[]\\")  # after a key, bytes that may reach another check (a member, a container)


def _new_key(frame: Any, raw: bytes) -> bool | None:
    """Whether the key ``raw`` (no escapes) is new in the checked object ``frame`` and an option takes it.

    None when ``raw`` is not UTF-8 (left to the scanner).
    """
    try:
        value = ("string", raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    written = b'"' + raw + b'"'
    return value not in frame[3] and any(o.keys.holds(written) for o in frame[2])


class CheckedMatcher(MaskCursor):
    """Per-sequence cursor (same methods as ``Matcher``) enforcing the run-time checks."""

    __slots__ = ("_inner", "_plan", "_vocab", "_facts", "_states", "_buf", "_masks", "_opens")

    def __init__(self, inner: Any, plan: RunTimeChecks, vocab: Vocabulary, facts: VocabFacts) -> None:
        """Wrap a fresh matcher of the schema's automaton (use the compiled schema's ``matcher()``)."""
        self._inner = inner
        self._plan = plan
        self._vocab = vocab
        self._facts = facts
        self._states: list[ScanState | None] = [ScanState()]  # None once EOS was taken
        self._buf = bytearray()  # the text so far
        self._masks: list[np.ndarray | None] = [None]
        # Tokens that may open a checked container.
        self._opens = (_OPEN if plan.unique is not None else 0) | (_OPEN_OBJECT if plan.keys is not None else 0)

    @property
    def num_words(self) -> int:
        """Words per mask row: ``ceil(vocab.size / 32)``."""
        return int(self._inner.num_words)

    def is_accepting(self) -> bool:
        """Whether the text so far is complete (EOS may be taken), or EOS has been taken."""
        return bool(self._inner.is_accepting())

    def is_terminated(self) -> bool:
        """EOS taken, or the text is complete and nothing more can follow."""
        return bool(self._inner.is_terminated())

    def mask(self) -> np.ndarray:
        """The current ``int32[num_words]`` mask (all zero after EOS)."""
        m = self._masks[-1]
        if m is None:
            m = np.zeros(self.num_words, dtype=np.int32)
            self._inner.fill_bitmask(m)
            st = self._states[-1]
            if st is not None:
                self._drop_repeats(st, m)
            self._masks[-1] = m
        return m

    def _drop_repeats(self, st: ScanState, m: np.ndarray) -> None:
        size = self._vocab.size
        bits = np.unpackbits(m.view(np.uint8), bitorder="little")[:size].astype(bool)
        bits &= self._unsafe(st, size)
        if self._vocab.eos_token_ids:
            bits[list(self._vocab.eos_token_ids)] = False  # allowed only when the whole text is complete
        view = m.view(np.uint32)
        token_bytes = self._vocab.token_bytes
        # Inside a string outside any checked array, a token that closes it is judged in parts: inside a value, its
        # verdict depends only on what it writes from the closing quote on (one token read per such tail); inside
        # a checked object's key, followed by no structure, only on the key it ends.
        simple = st.in_string() and not st.escape and not st.in_checked_array()
        value = simple and not st.key_string
        key = self._key_written(st) if simple and st.key_string else None
        verdicts: dict[bytes, bool] = {}
        # In a key: a token after which some option's key automaton has infinitely many completions stays in
        # the key (the closing quote leads to a state with one) and leaves new keys to write.
        keys_at = [] if key is None else [(o.keys, o.keys.state(b'"' + key)) for o in st.frames[-1][2]]
        for token in np.flatnonzero(bits).tolist():
            data = token_bytes[token] or b""
            quote = data.find(b'"') if value or key is not None else -1
            if keys_at and any(k.open_after(q, data) for k, q in keys_at):
                fits = True
            elif quote < 0 or b"\\" in data[:quote]:
                fits = self._fits(st, token)
            elif value:
                tail = data[quote:]
                if tail not in verdicts:
                    verdicts[tail] = self._fits(st, token)
                fits = verdicts[tail]
            else:
                known = None
                if key is not None and _STRUCTURE.isdisjoint(data[quote + 1 :]):
                    known = _new_key(st.frames[-1], key + data[:quote])
                fits = self._fits(st, token) if known is None else known
            if not fits:
                view[token >> 5] &= ~np.uint32(1 << (token & 31))

    def _key_written(self, st: ScanState) -> bytes | None:
        """The key written so far in a checked object (no escapes), or None."""
        frame = st.frames[-1] if st.frames else None
        if frame is None or frame[0] != "o" or frame[2] is None:
            return None
        written = key_prefix(st, self._buf)
        return None if written is None or 0x5C in written else written[1:]

    def _unsafe(self, st: ScanState, size: int) -> np.ndarray:
        """Tokens that could end an item or strand one (the others cannot change the check's verdict)."""
        flags = self._facts.flags
        # A token may open a checked container and fill it (from inside a string, only after closing the string).
        unsafe = (flags & self._opens).astype(bool)
        if st.in_string():
            unsafe &= (flags & _QUOTE).astype(bool)
        last = len(st.frames) - 1
        for depth, frame in enumerate(st.frames):
            if frame[0] == "o":
                if frame[2] is None:
                    continue
                key = key_prefix(st, self._buf) if depth == last else None
                if key is None:  # in a member's value, or between members: tokens that may end one matter
                    unsafe |= (flags & (_QUOTE if st.in_string() else _QUOTE | _MEMBER_END)).astype(bool)
                    continue
                if 0x5C in key:
                    return np.ones(size, dtype=bool)  # an escape in the key: rare, read every token
                # A key prefix that leads to no used key has only new completions (the automaton keeps it one that some
                # option left takes): only tokens that may end the key, escape, or lead towards a used key matter.
                if st.mode == KEY:
                    unsafe |= ~(flags & _KEY_START).astype(bool)
                    unsafe[_towards_seen(self._facts, b"", frame[3], lead=b'"')] = True
                else:
                    unsafe |= (flags & (_QUOTE | _BACKSLASH)).astype(bool)
                    unsafe[_towards_seen(self._facts, key[1:], frame[3])] = True
                continue
            items = frame[2]
            if items is None:
                continue
            if items.dfa is None:  # open items: a token matters only if it may end (or settle) a value
                unsafe |= (flags & (_QUOTE if st.in_string() else _QUOTE | _VALUE_END)).astype(bool)
                continue
            prefix = item_prefix(st, self._buf, frame)
            if prefix is None and not (depth == last and st.mode == VALUE):
                return np.ones(size, dtype=bool)  # between items: few tokens are allowed, read them all
            state, seen = items.state(prefix or b""), frame[3]
            if (
                items.strings
                and prefix
                and 0x5C not in prefix
                and not items.may_strand(state, len(seen))
                and not items.may_strand(items.state(b""), len(seen) + 1)
            ):
                # A string item far from its bounds: a token matters only if it escapes, leads towards a seen
                # string (ending as a repeat, or cornered), or ends this item and writes another.
                unsafe |= (flags & (_BACKSLASH | _QUOTES)).astype(bool)
                unsafe[_towards_seen(self._facts, prefix[1:], seen)] = True
                continue
            safe = items.safe_words(state, self._vocab)
            if safe is None:
                return np.ones(size, dtype=bool)
            unsafe |= ~np.unpackbits(safe.view(np.uint8), bitorder="little")[:size].astype(bool)
        return unsafe

    def _fits(self, st: ScanState, token: int) -> bool:
        data = self._vocab.token_bytes[token] or b""
        nxt = st.copy()
        return feed(nxt, data, self._buf, self._plan) and can_finish(nxt, self._buf, st.pos, data)

    @property
    def vocab_size(self) -> int:
        """Tokens in the vocabulary (mask bits past it are padding)."""
        return int(self._vocab.size)

    def advance(self, token_id: int) -> bool:
        """Take ``token_id``; returns False (and changes nothing) if it is not allowed."""
        st = self._states[-1]
        if st is None:
            return False
        if token_id in self._vocab.eos_token_ids:
            if not self._inner.advance(token_id):
                return False
            self._push(None, b"")
            return True
        if not 0 <= token_id < self._vocab.size:
            return False
        return self.advance_bytes(self._vocab.token_bytes[token_id] or b"", token_id)

    def advance_bytes(self, data: bytes, token_id: int | None = None) -> bool:
        """Take raw bytes as one step (or token ``token_id``'s bytes); False (nothing changes) if they do not fit."""
        st = self._states[-1]
        if st is None:
            return False
        nxt = st.copy()
        if not (feed(nxt, data, self._buf, self._plan) and can_finish(nxt, self._buf, st.pos, data)):
            return False
        moved = self._inner.advance(token_id) if token_id is not None else self._inner.advance_bytes(data)
        if not moved:
            return False
        self._push(nxt, data)
        return True

    def _push(self, st: ScanState | None, data: bytes) -> None:
        self._states.append(st)
        self._masks.append(None)
        self._buf += data

    def rollback(self, num_tokens: int) -> None:
        """Undo the last ``num_tokens`` accepted tokens (EOS counts as one).

        Raises:
            ValueError: more tokens than were accepted, or a negative count.
        """
        self._inner.rollback(num_tokens)
        if num_tokens:
            del self._states[-num_tokens:], self._masks[-num_tokens:]
            last = next(s for s in reversed(self._states) if s is not None)
            del self._buf[last.pos :]

    def reset(self) -> None:
        """Back to the start."""
        self._inner.reset()
        del self._states[1:], self._masks[1:], self._buf[:]

    def copy(self) -> CheckedMatcher:
        """An independent matcher at the same position."""
        m = CheckedMatcher.__new__(CheckedMatcher)
        m._inner, m._plan, m._vocab, m._facts = self._inner.copy(), self._plan, self._vocab, self._facts
        m._opens = self._opens
        m._states, m._masks, m._buf = list(self._states), list(self._masks), bytearray(self._buf)
        return m


class WithRunTimeChecks:
    """Mixin for compiled schemas: ``accepts`` and ``matcher()`` also enforce the run-time checks."""

    checks: RunTimeChecks | None = None
    vocab: Vocabulary | None

    def accepts(self, text: str | bytes) -> bool:
        """Whether the whole ``text`` is valid: the automaton accepts it and it passes the run-time checks."""
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        if not super().accepts(data):  # type: ignore[misc]
            return False
        return self.checks is None or self.checks.accepts_text(data)

    def matcher(self) -> Any:
        """A fresh per-sequence matcher (wrapped by ``CheckedMatcher`` when the schema has run-time checks)."""
        inner = super().matcher()  # type: ignore[misc]
        if self.checks is None or self.vocab is None:
            return inner
        return CheckedMatcher(inner, self.checks, self.vocab, vocab_facts(self.vocab))

    def describe(self) -> dict[str, Any]:
        """The summary of the wrapped constraint, plus what is checked while generating (JSON pointers)."""
        out: dict[str, Any] = super().describe()  # type: ignore[misc]
        if self.checks is not None:
            out.update(self.checks.describe())
        return out
