r"""Escapes and character classes of the regex dialect: ``\d \w \s \p{..} \xHH \u{..}``, ``[...]``, POSIX classes.

``RegexLexer`` holds the cursor state shared with ``regex_parser._Parser`` (which subclasses it) and parses the
pieces that denote one character set.
"""

from __future__ import annotations

import re

from constrained.errors import InvalidConstraint, UnsupportedFeature
from constrained.regex_ast import CharSet, charset, negate
from constrained.unicode_props import property_ranges

_DIGIT = [(0x30, 0x39)]
_WORD = [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]
# ECMA-262 WhiteSpace + LineTerminator.
_SPACE = [(0x09, 0x0D), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A), (0x2028, 0x2029),
          (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000), (0xFEFF, 0xFEFF)]  # fmt: skip
_SIMPLE_ESCAPES = {"n": 0x0A, "t": 0x09, "r": 0x0D, "f": 0x0C, "v": 0x0B, "a": 0x07, "0": 0x00}
_CLASS_ESCAPES = {"d": _DIGIT, "w": _WORD, "s": _SPACE}
_HEX = set("0123456789abcdefABCDEF")
_POSIX = {
    "alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)], "alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "ascii": [(0, 0x7F)], "blank": [(0x09, 0x09), (0x20, 0x20)], "cntrl": [(0, 0x1F), (0x7F, 0x7F)],
    "digit": _DIGIT, "graph": [(0x21, 0x7E)], "lower": [(0x61, 0x7A)], "print": [(0x20, 0x7E)],
    "punct": [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)], "space": [(0x09, 0x0D), (0x20, 0x20)],
    "upper": [(0x41, 0x5A)], "word": _WORD, "xdigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
}  # fmt: skip
_POSIX_RE = re.compile(r"\[:(\^?)([a-z]+):\]")

DOT_PYTHON = negate(charset([(0x0A, 0x0A)]))  # "." in the full-match dialect
DOT_ECMA = negate(charset([(0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029)]))  # "." in JSON Schema patterns


class RegexLexer:
    """Cursor over the pattern text plus the character-set parsers."""

    def __init__(self, text: str, search: bool) -> None:
        self.s = text
        self.n = len(text)
        self.i = 0
        self.depth = 0
        self.search = search
        self.dot: CharSet = DOT_ECMA if search else DOT_PYTHON
        self.single: dict[int, CharSet] = {}

    # --- errors ----------------------------------------------------------------------------------------------

    def bad(self, msg: str, at: int | None = None) -> InvalidConstraint:
        """An ``InvalidConstraint`` located at ``at`` (default: the cursor)."""
        return InvalidConstraint(f"invalid regex: {msg}", f"offset {self.i if at is None else at}")

    def refuse(self, keyword: str, reason: str, at: int) -> UnsupportedFeature:
        """An ``UnsupportedFeature`` naming ``keyword``, located at ``at``."""
        return UnsupportedFeature(keyword, f"offset {at}", reason)

    def char(self, cp: int) -> CharSet:
        """The one-character set for ``cp`` (memoized: long literals reuse the same objects)."""
        cs = self.single.get(cp)
        if cs is None:
            cs = self.single[cp] = charset([(cp, cp)])
        return cs

    # --- escapes and classes ---------------------------------------------------------------------------------

    def escape(self, *, in_class: bool) -> CharSet:
        r"""Parse ``\X`` at ``self.i``; returns a set (single character or class escape)."""
        s, start = self.s, self.i
        if start + 1 >= self.n:
            raise self.bad("trailing backslash")
        c = s[start + 1]
        self.i = start + 2
        if c in _CLASS_ESCAPES:
            return charset(_CLASS_ESCAPES[c])
        if c.lower() in _CLASS_ESCAPES:
            return negate(charset(_CLASS_ESCAPES[c.lower()]))
        if c in "pP":
            return self.unicode_property(c == "P", start)
        if c == "b" and in_class:
            return self.char(0x08)
        if c in "bB":
            raise self.refuse("word boundary", "\\b and \\B are assertions a DFA over text cannot check", start)
        if c.isdigit() and c != "0":
            raise self.refuse("backreference", "backreferences are not regular", start)
        if c == "k" and s.startswith("<", self.i):
            raise self.refuse("backreference", "backreferences are not regular", start)
        if c in _SIMPLE_ESCAPES:
            return self.char(_SIMPLE_ESCAPES[c])
        if c in "xuU":
            return self.char(self.hex_escape(c, start))
        if c == "c" and self.i < self.n and s[self.i].isascii() and s[self.i].isalpha():
            self.i += 1
            return self.char(ord(s[self.i - 1]) % 32)
        if c.isascii() and c.isalnum():
            raise self.bad(f"bad escape \\{c}", start)
        return self.char(ord(c))

    def hex_escape(self, kind: str, start: int) -> int:
        r"""The code point of ``\x..``, ``\u..``, ``\U..`` (cursor after the letter); joins UTF-16 pairs."""
        s = self.s
        if kind in "xu" and s.startswith("{", self.i):
            close = s.find("}", self.i)
            digits = s[self.i + 1 : close] if close > 0 else ""
            if not digits or len(digits) > 6 or not set(digits) <= _HEX:
                raise self.bad("bad \\x{...} escape", start)
            self.i = close + 1
            cp = int(digits, 16)
        else:
            width = {"x": 2, "u": 4, "U": 8}[kind]
            digits = s[self.i : self.i + width]
            if len(digits) != width or not set(digits) <= _HEX:
                raise self.bad(f"bad \\{kind} escape", start)
            self.i += width
            cp = int(digits, 16)
            # ECMA writes astral characters as UTF-16 surrogate pairs: \uD83D\uDE00.
            if kind == "u" and 0xD800 <= cp <= 0xDBFF and s.startswith("\\u", self.i):
                low = s[self.i + 2 : self.i + 6]
                if len(low) == 4 and set(low) <= _HEX and 0xDC00 <= int(low, 16) <= 0xDFFF:
                    self.i += 6
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (int(low, 16) - 0xDC00)
        if cp > 0x10FFFF:
            raise self.bad("code point out of range", start)
        return cp

    def unicode_property(self, negated: bool, start: int) -> CharSet:
        r"""The set for ``\p{..}``/``\P{..}`` (cursor after the letter)."""
        s = self.s
        if s.startswith("{", self.i):
            close = s.find("}", self.i)
            if close < 0:
                raise self.bad("unterminated \\p{...}", start)
            name = s[self.i + 1 : close]
            self.i = close + 1
        elif self.i < self.n:
            name = s[self.i]
            self.i += 1
        else:
            raise self.bad("bad \\p escape", start)
        ranges = property_ranges(name)
        if ranges is None:
            raise self.refuse(
                "unicode property", f"unknown or unsupported property {name!r} (general categories only)", start
            )
        cs = charset(ranges)
        return negate(cs) if negated else cs

    def char_class(self) -> CharSet:
        """The set for ``[...]`` / ``[^...]`` at the cursor."""
        s, start = self.s, self.i
        self.i += 1
        negated = s.startswith("^", self.i)
        if negated:
            self.i += 1
        ranges: list[tuple[int, int]] = []
        first = True
        while True:
            if self.i >= self.n:
                raise self.bad("unterminated character class", start)
            c = s[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            lo_set = self.class_atom()
            if (
                s.startswith("-", self.i)
                and self.i + 1 < self.n
                and s[self.i + 1] != "]"
                and _single(lo_set) is not None
            ):
                save = self.i
                self.i += 1
                hi_set = self.class_atom()
                lo, hi = _single(lo_set), _single(hi_set)
                if hi is None or lo is None:
                    self.i = save  # ECMA Annex B: "[\d-z]" reads '-' as a literal
                    ranges.extend(lo_set.ranges)
                    continue
                if hi < lo:
                    raise self.bad("bad character range", save)
                ranges.append((lo, hi))
            else:
                ranges.extend(lo_set.ranges)
        cs = charset(ranges)
        return negate(cs) if negated else cs

    def class_atom(self) -> CharSet:
        """One class member: a character, an escape or a POSIX class."""
        c = self.s[self.i]
        if c == "[" and self.s.startswith("[:", self.i):
            m = _POSIX_RE.match(self.s, self.i)
            if m:
                # RE2/Rust read "[[:alpha:]]" as a POSIX class, ECMA-262 as literal characters: only the
                # full-match (guided_regex) dialect takes the POSIX reading; JSON Schema patterns refuse it.
                if self.search or m.group(2) not in _POSIX:
                    raise self.refuse("posix class", f"'{m.group(0)}' is ambiguous or unknown here", self.i)
                self.i = m.end()
                cs = charset(_POSIX[m.group(2)])
                return negate(cs) if m.group(1) else cs
        if c == "\\":
            return self.escape(in_class=True)
        self.i += 1
        return self.char(ord(c))


def _single(cs: CharSet) -> int | None:
    if len(cs.ranges) == 1 and cs.ranges[0][0] == cs.ranges[0][1]:
        return cs.ranges[0][0]
    return None
