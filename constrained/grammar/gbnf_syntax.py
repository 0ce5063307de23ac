"""GBNF syntax: text -> rule bodies (``Alt`` of sequences of items), mirroring llama.cpp's grammar parser.

Items are ``regex_ast`` nodes (literals, classes, ``.``), ``Ref`` (a rule name), ``Alt`` (a group) and ``Rep``
(``* + ? {m,n}``). A newline ends a rule except inside parentheses or right after ``|``; ``#`` starts a comment.
"""

from __future__ import annotations

from dataclasses import dataclass

from constrained.errors import InvalidConstraint, UnsupportedFeature
from constrained.regex_ast import ANY_CHAR, EMPTY, Node, charset, literal, negate

_ESCAPES = {"t": "\t", "r": "\r", "n": "\n", "\\": "\\", '"': '"', "[": "[", "]": "]", "-": "-", "/": "/"}
_HEX_LEN = {"x": 2, "u": 4, "U": 8}


@dataclass(frozen=True)
class Ref:
    """A reference to rule ``name`` at ``line``."""

    name: str
    line: int


@dataclass(frozen=True)
class Alt:
    """Alternatives, each a sequence of items."""

    seqs: tuple[tuple[object, ...], ...]


@dataclass(frozen=True)
class Rep:
    """``item`` repeated ``min`` to ``max`` times (None: unbounded)."""

    item: object
    min: int
    max: int | None


class _Parser:
    """Recursive descent over the text, mirroring llama.cpp's newline rules.

    After ``parse()``: ``rules`` maps rule name -> body, ``lines`` rule name -> line of its definition.
    """

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.rules: dict[str, Alt] = {}
        self.lines: dict[str, int] = {}

    def line(self) -> int:
        return self.s.count("\n", 0, self.i) + 1

    def error(self, msg: str) -> InvalidConstraint:
        return InvalidConstraint(msg, f"line {self.line()}")

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def space(self, newline_ok: bool) -> None:
        s, n = self.s, len(self.s)
        while self.i < n:
            c = s[self.i]
            if c in " \t" or (newline_ok and c in "\r\n"):
                self.i += 1
            elif c == "#":
                while self.i < n and s[self.i] not in "\r\n":
                    self.i += 1
            else:
                break

    def name(self) -> str:
        j = self.i
        while self.i < len(self.s) and (
            self.s[self.i].isascii() and (self.s[self.i].isalnum() or self.s[self.i] in "-_")
        ):
            self.i += 1
        if j == self.i:
            raise self.error(f"expecting a rule name at {self.s[j : j + 10]!r}")
        return self.s[j : self.i]

    def parse(self) -> None:
        self.space(True)
        while self.i < len(self.s):
            line = self.line()
            name = self.name()
            self.space(False)
            if not self.s.startswith("::=", self.i):
                raise self.error(f"expecting '::=' after rule name {name!r}")
            self.i += 3
            self.space(True)
            self.rules[name] = self.alternates(False)
            self.lines[name] = line
            if self.peek() == "\r":
                self.i += 2 if self.peek(1) == "\n" else 1
            elif self.peek() == "\n":
                self.i += 1
            elif self.peek():
                raise self.error(f"expecting newline or end, found {self.s[self.i : self.i + 10]!r}")
            self.space(True)

    def alternates(self, nested: bool) -> Alt:
        seqs = [self.sequence(nested)]
        while self.peek() == "|":
            self.i += 1
            self.space(True)
            seqs.append(self.sequence(nested))
        return Alt(tuple(seqs))

    def sequence(self, nested: bool) -> tuple[object, ...]:
        out: list[object] = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == '"':
                self.i += 1
                chars = []
                while self.peek() != '"':
                    if not self.peek():
                        raise self.error("unterminated string literal")
                    chars.append(self.char())
                self.i += 1
                out.append(literal("".join(chars)) if chars else EMPTY)
            elif c == "[":
                out.append(self.char_class())
            elif c == ".":
                self.i += 1
                out.append(ANY_CHAR)
            elif c == "(":
                self.i += 1
                self.space(True)
                group = self.alternates(True)
                if self.peek() != ")":
                    raise self.error("expecting ')'")
                self.i += 1
                out.append(group)
            elif c.isascii() and (c.isalnum() or c in "-_"):
                line = self.line()
                out.append(Ref(self.name(), line))
            elif c in "*+?{":
                if not out:
                    raise self.error(f"expecting an item before {c!r}")
                out[-1] = self.repetition(out[-1])
            elif c == "<":
                raise UnsupportedFeature(
                    "token reference", f"line {self.line()}", "GBNF <token> items are not supported"
                )
            else:
                break
            self.space(nested)
        return tuple(out)

    def repetition(self, item: object) -> Rep:
        c = self.s[self.i]
        self.i += 1
        if c != "{":
            return Rep(item, 1 if c == "+" else 0, 1 if c == "?" else None)
        self.space(True)
        lo = self.integer()
        hi: int | None = lo
        self.space(True)
        if self.peek() == ",":
            self.i += 1
            self.space(True)
            hi = self.integer() if self.peek().isdigit() else None
            self.space(True)
        if self.peek() != "}":
            raise self.error("expecting '}' to close a repetition")
        self.i += 1
        if hi is not None and hi < lo:
            raise self.error(f"repetition bounds out of order: {{{lo},{hi}}}")
        return Rep(item, lo, hi)

    def integer(self) -> int:
        j = self.i
        while self.peek().isdigit():
            self.i += 1
        if j == self.i:
            raise self.error("expecting an integer in a repetition")
        return int(self.s[j : self.i])

    def char(self) -> str:
        c = self.peek()
        if c != "\\":
            self.i += 1
            return c
        e = self.peek(1)
        if e in _HEX_LEN:
            digits = self.s[self.i + 2 : self.i + 2 + _HEX_LEN[e]]
            try:
                cp = int(digits, 16)
                if len(digits) != _HEX_LEN[e] or cp > 0x10FFFF:
                    raise ValueError
            except ValueError:
                raise self.error(f"bad \\{e} escape") from None
            self.i += 2 + _HEX_LEN[e]
            return chr(cp)
        if e in _ESCAPES:
            self.i += 2
            return _ESCAPES[e]
        raise self.error(f"unknown escape \\{e}")

    def char_class(self) -> Node:
        self.i += 1
        neg = self.peek() == "^"
        if neg:
            self.i += 1
        ranges: list[tuple[int, int]] = []
        while self.peek() != "]":
            if not self.peek():
                raise self.error("unterminated character class")
            lo = ord(self.char())
            hi = lo
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.i += 1
                hi = ord(self.char())
                if hi < lo:
                    raise self.error("character range out of order")
            ranges.append((lo, hi))
        self.i += 1
        cs = charset(ranges)
        return negate(cs) if neg else cs


def refs(item: object) -> list[Ref]:
    """Every rule reference inside ``item``."""
    if isinstance(item, Ref):
        return [item]
    if isinstance(item, Alt):
        return [r for s in item.seqs for i in s for r in refs(i)]
    if isinstance(item, Rep):
        return refs(item.item)
    return []


def parse_rules(text: str) -> tuple[dict[str, Alt], dict[str, int]]:
    """Parse GBNF text into ``(rules, lines)``: rule name -> body, rule name -> line of its definition.

    Raises:
        InvalidConstraint: a syntax error, with ``"line N"``.
        UnsupportedFeature: llama.cpp token references (``<...>``).
    """
    p = _Parser(text)
    p.parse()
    return p.rules, p.lines
