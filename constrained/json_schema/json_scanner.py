"""A byte-at-a-time JSON scanner for the run-time checks: items of checked arrays, keys of checked objects.

It follows only structure: where values start and end, object keys, array indices, so it knows each container's
instance path when it opens, each item's text when it ends and each key when it is written. The text it reads
has already been accepted by the constraint's automaton, so it is valid JSON so far and the scanner does not
validate. One ``ScanState`` per accepted token makes rollback a pop; a state is copied before reading a
candidate token (frames are tuples).
"""

from __future__ import annotations

import json
from typing import Any

from .run_time_checks import RunTimeChecks
from .unique_plan import ItemLanguage, canonical, parse_json

# Lexical modes.
VALUE, KEY, COLON, AFTER, STRING, NUMBER, LITERAL = range(7)
_WS = frozenset(b" \t\n\r")
_NUMBER = frozenset(b"0123456789+-.eE")
_LITERAL_REST = {ord("t"): 3, ord("f"): 4, ord("n"): 3}  # bytes after the first one of true / false / null
_LITERALS = {ord("t"): True, ord("f"): False, ord("n"): None}

# Frames: ("o", key or None, key options left or None, keys seen) for an object (options and keys seen only when
# checked, keys as canonical values); ("a", index, item language or None, seen values, item start or -1) for an
# array.
Frame = tuple[Any, ...]


class ScanState:
    """Where the scan is after some bytes: the container stack, the lexical mode and the byte count."""

    __slots__ = ("frames", "mode", "pos", "key_string", "escape", "rest", "start")

    def __init__(self) -> None:
        """The state before any byte: a value is expected."""
        self.frames: list[Frame] = []
        self.mode = VALUE
        self.pos = 0  # bytes read so far
        self.key_string = False  # the string being read is an object key
        self.escape = False  # the previous byte in a string was a backslash
        self.rest = 0  # letters left in a literal
        self.start = 0  # where the current string (key) or scalar began

    def in_checked_array(self) -> bool:
        """Whether some open array is checked (then an item's text matters to the check)."""
        return any(f[0] == "a" and f[2] is not None for f in self.frames)

    def copy(self) -> ScanState:
        """An independent copy."""
        out = ScanState.__new__(ScanState)
        out.frames = list(self.frames)
        out.mode, out.pos, out.key_string, out.escape = self.mode, self.pos, self.key_string, self.escape
        out.rest, out.start = self.rest, self.start
        return out

    def in_string(self) -> bool:
        """Whether the next byte is read inside a string."""
        return self.mode == STRING


def _text(buf: bytes | bytearray, pos: int, data: bytes, start: int, end: int) -> bytes:
    """Bytes ``start:end`` of the text ``buf[:pos] + data``."""
    if start >= pos:
        return data[start - pos : end - pos]
    return bytes(buf[start:pos]) + data[: end - pos]


def feed(st: ScanState, data: bytes, buf: bytes | bytearray, plan: RunTimeChecks) -> bool:
    """Read ``data`` (the text so far is ``buf[:st.pos]``); False when it breaks a check.

    A check breaks when an item ends equal to an earlier one of its array, a key is written again in its object,
    or an object closes without a required key.

    ``st`` is updated in place (also when False is returned: the caller then drops it).
    """
    base = st.pos
    frames = st.frames
    for i, b in enumerate(data):
        at = base + i
        mode = st.mode
        if mode == STRING:
            if st.escape:
                st.escape = False
            elif b == 0x5C:  # backslash
                st.escape = True
            elif b == 0x22:  # closing quote
                if st.key_string:
                    written = b'"' + _text(buf, base, data, st.start, at) + b'"'
                    key = json.loads(written) if 0x5C in written else written[1:-1].decode("utf-8", "surrogatepass")
                    _, _, options, seen = frames[-1]
                    if options is not None:  # a new key, and the options that take it
                        options = tuple(o for o in options if o.keys.holds(written))
                        if ("string", key) in seen or not options:
                            return False
                        seen = seen | {("string", key)}
                    frames[-1] = ("o", key, options, seen)
                    st.mode = COLON
                elif not _ended(st, buf, base, data, at + 1):
                    return False
            continue
        if mode == NUMBER:
            if b in _NUMBER:
                continue
            if not _ended(st, buf, base, data, at):
                return False
            mode = AFTER
        elif mode == LITERAL:
            st.rest -= 1
            if st.rest == 0 and not _ended(st, buf, base, data, at + 1):
                return False
            continue
        if b in _WS:
            continue
        if mode == AFTER:
            if b == 0x2C:  # comma
                top = frames[-1]
                if top[0] == "a":
                    frames[-1] = ("a", top[1] + 1, top[2], top[3], -1)
                    st.mode = VALUE
                else:
                    st.mode = KEY
            else:  # ] or }: a container ends, which is itself a value
                if not _closes(frames.pop()) or not _ended(st, buf, base, data, at + 1):
                    return False
        elif mode == KEY:
            if b == 0x22:
                st.mode, st.key_string, st.start = STRING, True, at + 1
            else:  # } of an empty object
                if not _closes(frames.pop()) or not _ended(st, buf, base, data, at + 1):
                    return False
        elif mode == COLON:
            st.mode = VALUE
        elif b == 0x5D:  # ] of an empty array
            frames.pop()
            if not _ended(st, buf, base, data, at + 1):
                return False
        else:
            _begin_value(st, plan, b, at)
    st.pos = base + len(data)
    return True


def _closes(frame: Frame) -> bool:
    """Whether a container may end here: a checked object only once an option left has every required key."""
    return frame[0] != "o" or frame[2] is None or any(o.required <= frame[3] for o in frame[2])


def _begin_value(st: ScanState, plan: RunTimeChecks, b: int, at: int) -> None:
    frames = st.frames
    if frames and frames[-1][0] == "a" and frames[-1][2] is not None:
        top = frames[-1]
        frames[-1] = ("a", top[1], top[2], top[3], at)  # an item of a checked array starts here
    st.start = at
    if b == 0x22:
        st.mode, st.key_string = STRING, False
    elif b == 0x7B:  # {
        check = plan.object_at(tuple(f[1] for f in frames))
        frames.append(("o", None, None if check is None else check.options, frozenset()))
        st.mode = KEY
    elif b == 0x5B:  # [
        frames.append(("a", 0, plan.array_at(tuple(f[1] for f in frames)), frozenset(), -1))
        st.mode = VALUE
    elif b in _LITERAL_REST:
        st.mode, st.rest = LITERAL, _LITERAL_REST[b]
    else:
        st.mode = NUMBER


def _ended(st: ScanState, buf: bytes | bytearray, base: int, data: bytes, end: int) -> bool:
    """A value ended just before ``end``: record it when it is an item of a checked array; False if repeated."""
    st.mode = AFTER
    frames = st.frames
    if not frames or frames[-1][0] != "a" or frames[-1][2] is None:
        return True
    _, index, items, seen, start = frames[-1]
    value = canonical(parse_json(_text(buf, base, data, start, end)))
    if value in seen:
        return False
    frames[-1] = ("a", index, items, seen | {value}, -1)
    return True


def can_finish(st: ScanState, buf: bytes | bytearray, base: int, data: bytes) -> bool:
    """Whether every open checked container can still get an item or key it has not had, where it has to.

    ``st`` is the state after reading ``data`` from byte ``base`` of ``buf``: an item being written must have a
    completion with a new value, and so must the next item after a comma (or the first, under ``minItems``); a
    key being written in a checked object must have a completion not used yet, and so must the key after a comma.
    """
    end = st.pos
    last = len(st.frames) - 1
    for depth, frame in enumerate(st.frames):
        if frame[0] == "o":
            if frame[2] is not None and depth == last and not _key_can_finish(st, buf, base, data, frame):
                return False
            continue
        if frame[2] is None:
            continue
        items: ItemLanguage = frame[2]
        _, index, _, seen, start = frame
        if start >= 0 and items.dfa is None:
            if items.literals and depth == last and st.mode == LITERAL:  # tru, fals, nul: one way on
                literal = _text(buf, base, data, start, start + 1)
                if canonical(_LITERALS[literal[0]]) in seen:
                    return False
        elif start >= 0:
            prefix = _text(buf, base, data, start, end)
            if not items.has_new_completion(prefix, st.mode == STRING, st.escape, seen):
                return False
        elif depth == last and st.mode == VALUE and (index > 0 or items.min_items > 0):
            if not items.has_new_completion(b"", False, False, seen):
                return False
    return True


def _key_can_finish(st: ScanState, buf: bytes | bytearray, base: int, data: bytes, frame: Frame) -> bool:
    """Whether the key being written (or due after a comma) in the checked object ``frame`` can be a new one."""
    if st.mode == STRING and st.key_string:
        prefix = b'"' + _text(buf, base, data, st.start, st.pos)
        return any(o.keys.has_new_completion(prefix, True, st.escape, frame[3]) for o in frame[2])
    if st.mode == KEY and frame[3]:  # after a comma (after "{" nothing is used yet and "}" may follow)
        return any(o.keys.has_new_completion(b"", False, False, frame[3]) for o in frame[2])
    return True


def key_prefix(st: ScanState, buf: bytes | bytearray) -> bytes | None:
    """The key text written so far (with its opening quote) when a key is being written or due, else None."""
    if st.mode == STRING and st.key_string:
        return b'"' + bytes(buf[st.start : st.pos])
    return b"" if st.mode == KEY else None


def item_prefix(st: ScanState, buf: bytes | bytearray, frame: Frame) -> bytes | None:
    """The text of the item ``frame`` (a checked array) is writing now, or None between items."""
    start = frame[4]
    return None if start < 0 else bytes(buf[start : st.pos])
