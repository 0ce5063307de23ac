r"""Regex text -> ``regex_ast`` nodes, for the syntax people write in JSON Schema ``pattern`` and ``guided_regex``.

Supported: literals and escapes, classes with ranges, ``.``, ``\d \w \s`` (ECMA-262 meanings: ASCII digits and
word characters, the ECMA whitespace set) and their negations, ``\p{..}``/``\P{..}`` general categories, groups
(plain, non-capturing, named), alternation, greedy and lazy quantifiers (same language under full match), and
``^``/``$``: anywhere in a JSON Schema ``pattern`` (search semantics, ``regex_anchors``), at the edges of the
pattern or of top-level alternatives in the full-match dialect, and lookaheads ``(?=..)``/``(?!..)`` outside every
group (DFA products with the rest of the pattern, ``_Parser.lookahead``; in a JSON Schema pattern, an unquantified
group holding one is first written out as one alternative per branch, ``_Parser.distribute``). Everything else that a
regex engine might accept but this does not express exactly (backreferences, lookbehind, lookaheads inside repeated
groups, word boundaries, possessive quantifiers, inline flags other than ``s``/``m``/``U``) is refused with
``UnsupportedFeature`` naming the feature and the offset.

The parser is a single left-to-right pass with an explicit index (no slicing in loops), so 100 KB patterns parse
in well under a second.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from constrained.dfa_ops import difference, intersection
from constrained.errors import BudgetExceeded, UnsupportedFeature
from constrained.regex_anchors import Variant, concat, is_anchored, optional, repeated_anchored, searched, unanchored
from constrained.regex_ast import (
    ANY_CHAR,
    EMPTY,
    Alt,
    Node,
    Repeat,
    Seq,
    nullable,
    repeat,
)
from constrained.regex_escapes import DOT_PYTHON, RegexLexer

MAX_NESTING = 200  # groups deeper than this would overflow Python's recursion in later passes

_FLAGS_RE = re.compile(r"([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])")

ANY_STAR = Repeat(ANY_CHAR, 0, None)


@dataclass(frozen=True)
class PatternFacts:
    """What a parsed pattern used, for front ends whose matching semantics go beyond the language.

    Attributes:
        lazy: a lazy quantifier (``*?``, ``+?``, ``??``, ``{m,n}?``).
        greedy_variable: a greedy quantifier whose count may vary.
        alternation: a ``|``.
    """

    lazy: bool
    greedy_variable: bool
    alternation: bool


def parse_regex_facts(text: str) -> tuple[Node, PatternFacts]:
    """``parse_regex(text)`` (full match) plus the ``PatternFacts`` of the pattern."""
    parser = _Parser(text, False)
    node = parser.parse()
    return node, PatternFacts(parser.lazy, parser.greedy_variable, parser.alternation_seen)


def parse_regex(text: str, *, search: bool = False, encode: Callable[[Node], Node] | None = None) -> Node:
    """Parse a regex into a full-match AST.

    Args:
        text: the pattern.
        search: False for full-match semantics (``guided_regex``; ``^``/``$`` are no-ops). True for JSON Schema
            ``pattern`` semantics: unanchored search, i.e. each top-level alternative gets ``.*`` (any character,
            newlines included) on each side that it does not anchor; ``.`` excludes ECMA line terminators.
        encode: how the caller will turn the result into the bytes it matches (JSON string escapes), when that
            is not plain UTF-8. A lookahead is a DFA product over those bytes: its operands are encoded first, and
            the product (an embedded automaton) must be left as it is by ``encode``.

    Returns:
        A node denoting the set of whole strings the pattern accepts.

    Raises:
        InvalidConstraint: syntax error, with ``location="offset N"``.
        UnsupportedFeature: a construct that cannot be enforced exactly (keyword names it).
        BudgetExceeded: groups nested deeper than ``MAX_NESTING``.
    """
    for _ in range(MAX_DISTRIBUTIONS + 1):
        parser = _Parser(text, search)
        parser.encode = encode
        try:
            return parser.parse()
        except _Distribute as move:
            text = move.text
    raise UnsupportedFeature("lookahead", "offset 0", f"lookaheads in more than {MAX_DISTRIBUTIONS} groups")


MAX_DISTRIBUTIONS = 4  # groups holding a lookahead, each rewritten as one alternative per branch


class _Distribute(Exception):  # noqa: N818 -- control flow, not an error
    """Parse ``text`` instead: the same language, with a group holding a lookahead distributed over its branches."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class _Parser(RegexLexer):
    """Recursive descent over alternation / sequence / quantified atom / group."""

    lazy = False
    greedy_variable = False
    alternation_seen = False
    encode: Callable[[Node], Node] | None = None

    # --- structure -------------------------------------------------------------------------------------------

    def parse(self) -> Node:
        variants: list[Variant] = []
        while True:
            self.alt_start = self.i
            variants += self.sequence()
            if self.i >= self.n:
                break
            if self.s[self.i] == ")":
                raise self.bad("unbalanced ')'")
            self.i += 1  # '|'
            self.alternation_seen = True
        if self.search:
            return _alt([_seq(items) for items in searched(variants, ANY_STAR)])
        return _alt([_seq(items) for items, _, _ in variants])

    def alternation(self) -> list[Variant]:
        variants = self.sequence()
        while self.i < self.n and self.s[self.i] == "|":
            self.i += 1
            self.alternation_seen = True
            variants += self.sequence()
        return variants

    def sequence(self) -> list[Variant]:
        """Items up to ``|``, ``)`` or the end, as anchor variants (``regex_anchors``; one when unanchored)."""
        acc: list[Variant] = [([], False, False)]
        s = self.s
        while self.i < self.n:
            c = s[self.i]
            if c in "|)":
                break
            start = self.i
            anchor = self.anchor()
            if anchor is not None:
                if not self.search:
                    self.check_full_match_anchor(anchor, acc, start)
                acc = concat(acc, [([], anchor == "^", anchor == "$")], start)
                continue
            if c == "(" and self.depth == 0 and s.startswith(("(?=", "(?!"), self.i):
                acc = concat(acc, self.lookahead(start), start)
                break  # the lookahead took the rest of the sequence
            if c == "(":
                try:
                    piece = self.group()
                except UnsupportedFeature as refusal:
                    if refusal.keyword == "lookahead" and self.depth == 1 and self.search:
                        self.distribute(start, refusal)
                    raise
                if is_anchored(piece):
                    acc = concat(acc, self.quantified_anchored(piece, start), start)
                    continue
                node = self.quantified(_alt([_seq(items) for items, _, _ in piece]), start)
            else:
                node = self.quantified(self.atom(), start)
            if node == EMPTY:  # e.g. "(?s)" or a comment
                continue
            if len(acc) == 1 and not acc[0][2]:
                acc[0][0].append(node)  # the common case: no anchors so far
            else:
                acc = concat(acc, unanchored(node), start)
        return acc

    def lookahead(self, start: int) -> list[Variant]:
        """A top-level ``(?=X)`` / ``(?!X)`` and the rest of its sequence, as that rest's variants.

        A lookahead constrains the text from its position to the end: that text must (or must not) start with a
        match of ``X``. Outside every group the text from there to the end is the rest of the sequence (plus, in a
        search, whatever follows the match), so the rest's language is intersected with (or has removed) ``X``
        followed by anything (``X`` alone when it ends in ``$``): a DFA product (``dfa_ops``). Lookaheads inside
        groups, where the rest reaches past the group, are refused by name (``group``).
        """
        negative = self.s[self.i + 2] == "!"
        self.i += 3
        self.depth += 1
        body = self.alternation()
        self.depth -= 1
        if self.i >= self.n or self.s[self.i] != ")":
            raise self.bad("missing ')'", start)
        self.i += 1
        if any(at_start for _, at_start, _ in body):
            raise self.refuse("lookahead", "'^' inside a lookahead is not supported", start)
        looked = _alt([_seq(items if at_end else [*items, ANY_STAR]) for items, _, at_end in body])
        out: list[Variant] = []
        if self.encode is not None:
            looked = self.encode(looked)
        for items, at_start, at_end in self.sequence():
            rest = _seq(items if at_end or not self.search else [*items, ANY_STAR])  # the text to the end
            if self.encode is not None:
                rest = self.encode(rest)
            rest = difference(rest, looked) if negative else intersection(rest, looked)
            out.append(([rest], at_start, at_end or self.search))  # the rest now runs to the end: no ".*" after
        return out

    def distribute(self, start: int, refusal: UnsupportedFeature) -> None:
        """Raise ``_Distribute``: the group at ``start`` written out, one top-level alternative per branch.

        ``p(a|b)s`` becomes ``pas|pbs``, so a lookahead in a branch is outside every group. Only for an unquantified
        plain, non-capturing or named group; otherwise this returns (and the caller refuses).
        """
        s, n = self.s, self.n
        end = _top_level_splits(s, start + 1, n)[-1][1]  # the group's closing parenthesis, when there is one
        if end >= n or (end + 1 < n and s[end + 1] in "*+?{"):
            return
        inner = start + 1
        if s.startswith("?:", inner):
            inner += 2
        elif s.startswith(("?<", "?P<"), inner) and not s.startswith(("?<=", "?<!"), inner):
            inner = s.index(">", inner) + 1
        elif s.startswith("?", inner):
            return
        branches = _top_level_splits(s, inner, end)
        alt_end = _top_level_splits(s, end + 1, n)[0][1]
        prefix, suffix = s[self.alt_start : start], s[end + 1 : alt_end]
        distributed = "|".join(prefix + s[a:b] + suffix for a, b in branches)
        raise _Distribute(s[: self.alt_start] + distributed + s[alt_end:]) from refusal

    def check_full_match_anchor(self, anchor: str, acc: list[Variant], start: int) -> None:
        """Refuse an anchor away from the pattern's edges (full-match dialect only).

        Python's ``$`` also matches before a final newline, and ``(?m)`` moves both: inner anchors are not exact.
        """
        if anchor == "^" and (self.depth or any(items for items, _, _ in acc)):
            raise self.refuse("anchor", "'^' is only supported at the start of the pattern", start)
        s, i = self.s, self.i
        if anchor == "$" and (self.depth or (i < self.n and s[i] not in "|$" and not s.startswith("\\Z", i))):
            raise self.refuse("anchor", "'$' is only supported at the end of the pattern", start)

    def quantified_anchored(self, piece: list[Variant], start: int) -> list[Variant]:
        """An anchored group with its quantifier (``^``/``$`` inside a repeated group: ``repeated_anchored``)."""
        bounds = self.quantifier(start)
        if bounds is None or bounds == (1, 1):
            return piece
        if bounds == (0, 1):
            return optional(piece)
        if bounds == (0, 0):
            return [([], False, False)]
        if any(all(nullable(n) for n in items) for items, _, _ in piece):
            raise self.refuse("anchor", "an anchor inside a repeated group that may match the empty string", start)
        return repeated_anchored(piece, *bounds)

    def anchor(self) -> str | None:
        s, i = self.s, self.i
        if s[i] in "^$":
            self.i += 1
            if self.peek_quant():
                raise self.bad("nothing to repeat", self.i)
            return s[i]
        if s.startswith(("\\A",), i):
            self.i += 2
            return "^"
        if s.startswith(("\\Z", "\\z"), i):
            self.i += 2
            return "$"
        return None

    def peek_quant(self) -> bool:
        return self.i < self.n and self.s[self.i] in "*+?"

    def quantified(self, item: Node, start: int) -> Node:
        bounds = self.quantifier(start)
        return item if bounds is None else repeat(item, *bounds)

    def quantifier(self, start: int) -> tuple[int, int | None] | None:
        """The quantifier at ``self.i`` as ``(lo, hi)`` (consumed), or None when there is none."""
        s = self.s
        if self.i >= self.n:
            return None
        c = s[self.i]
        if c == "*":
            lo, hi = 0, None
            self.i += 1
        elif c == "+":
            lo, hi = 1, None
            self.i += 1
        elif c == "?":
            lo, hi = 0, 1
            self.i += 1
        elif c == "{":
            bounds = self.braces()
            if bounds is None:
                return None
            lo, hi = bounds
        else:
            return None
        lazy = self.i < self.n and s[self.i] == "?"
        if lazy:
            self.i += 1  # lazy: same language under full match (see ``PatternFacts`` for lexers)
            self.lazy = True
        elif self.i < self.n and s[self.i] == "+":
            raise self.refuse("possessive quantifier", "possessive quantifiers change the language", self.i)
        if not lazy and hi != lo:
            self.greedy_variable = True
        if self.i < self.n and (s[self.i] in "*+?" or (s[self.i] == "{" and self.peek_braces())):
            raise self.bad("multiple repeat")
        if hi is not None and hi < lo:
            raise self.bad(f"repeat bounds out of order {{{lo},{hi}}}", start)
        return lo, hi

    def peek_braces(self) -> bool:
        save = self.i
        try:
            return self.braces() is not None
        finally:
            self.i = save

    def braces(self) -> tuple[int, int | None] | None:
        """``{n}``, ``{n,}``, ``{n,m}``, ``{,m}``; None (and no progress) when ``{`` is a literal."""
        s, j = self.s, self.i + 1
        k = j
        while k < self.n and s[k].isdigit():
            k += 1
        lo_txt = s[j:k]
        if k < self.n and s[k] == "}":
            if not lo_txt:
                return None
            self.i = k + 1
            return int(lo_txt), int(lo_txt)
        if k >= self.n or s[k] != ",":
            return None
        m = k + 1
        while m < self.n and s[m].isdigit():
            m += 1
        if m >= self.n or s[m] != "}" or (not lo_txt and m == k + 1):
            return None
        self.i = m + 1
        return (int(lo_txt) if lo_txt else 0), (int(s[k + 1 : m]) if m > k + 1 else None)

    def atom(self) -> Node:
        """One non-group atom (groups are read by ``sequence``: they may hold anchors)."""
        s = self.s
        c = s[self.i]
        if c == "[":
            return self.char_class()
        if c == ".":
            self.i += 1
            return self.dot
        if c == "\\":
            return self.escape(in_class=False)
        if c in "*+?":
            raise self.bad("nothing to repeat")
        if c == "{" and self.peek_braces():
            raise self.bad("nothing to repeat")
        self.i += 1
        return self.char(ord(c))

    def group(self) -> list[Variant]:
        s, start = self.s, self.i
        saved_dot = self.dot  # flags set inside a group end with it
        self.i += 1
        if s.startswith("?", self.i):
            self.i += 1
            if s.startswith(":", self.i):
                self.i += 1
            elif s.startswith(("P<", "<"), self.i) and not s.startswith(("<=", "<!"), self.i):
                close = s.find(">", self.i)
                name = s[self.i + (2 if s[self.i] == "P" else 1) : close] if close > 0 else ""
                if close < 0 or not name.replace("_", "a").isalnum():
                    raise self.bad("bad group name", start)
                self.i = close + 1
            elif s.startswith(("=", "!"), self.i):
                raise self.refuse("lookahead", "only lookaheads outside every group are supported", start)
            elif s.startswith(("<=", "<!"), self.i):
                raise self.refuse("lookbehind", "lookaround assertions cannot be enforced by a DFA", start)
            elif s.startswith("P=", self.i):
                raise self.refuse("backreference", "backreferences are not regular", start)
            elif s.startswith(">", self.i):
                raise self.refuse("atomic group", "atomic groups change the language", start)
            elif s.startswith("#", self.i):
                close = s.find(")", self.i)
                if close < 0:
                    raise self.bad("unterminated comment", start)
                self.i = close + 1
                return unanchored(EMPTY)
            elif self.flags(start):
                return unanchored(EMPTY)  # "(?s)" form: applies to the rest of the enclosing group
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise BudgetExceeded("max_nesting", f"groups nested deeper than {MAX_NESTING} at offset {start}")
        variants = self.alternation()
        self.dot = saved_dot
        self.depth -= 1
        if self.i >= self.n or s[self.i] != ")":
            raise self.bad("missing ')'", start)
        self.i += 1
        return variants

    def flags(self, start: int) -> bool:
        """Inline flags at ``self.i`` (after ``(?``); True for ``(?f)``, False for ``(?f:`` (a group follows).

        Only flags that keep a DFA exact are taken, and only in the full-match dialect (ECMA has no inline
        flags): ``s`` (dot matches newline), ``m`` (multi-line; ``^``/``$`` are only allowed at the edges, where
        it changes nothing) and ``U`` (swap greediness; same language).
        """
        m = _FLAGS_RE.match(self.s, self.i)
        if not m:
            raise self.bad("bad group syntax", start)
        on, off, end = m.group(1), m.group(2) or "", m.group(3)
        bad = sorted(set(on + off) - set("smU"))
        if bad or self.search:
            what = f"(?{bad[0]})" if bad else "inline flags in a JSON Schema pattern"
            raise self.refuse("inline flags", f"{what} is not supported", start)
        if "s" in on:
            self.dot = ANY_CHAR
        elif "s" in off:
            self.dot = DOT_PYTHON
        self.i = m.end()
        return end == ")"


def _skip(s: str, i: int) -> int:
    """The index after the escape or the class starting at ``s[i]``, else ``i + 1``."""
    if s[i] == "\\":
        return i + 2
    if s[i] != "[":
        return i + 1
    j = i + 1
    if j < len(s) and s[j] == "^":
        j += 1
    if j < len(s) and s[j] == "]":  # a ']' first in a class is a literal
        j += 1
    while j < len(s) and s[j] != "]":
        j += 2 if s[j] == "\\" else 1
    return j + 1


def _top_level_splits(s: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Spans of ``s[lo:hi]`` between its ``|`` outside groups, classes and escapes (up to an unmatched ``)``)."""
    spans, depth, begin, i = [], 0, lo, lo
    while i < hi:
        c = s[i]
        if c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                break
            depth -= 1
        elif c == "|" and depth == 0:
            spans.append((begin, i))
            begin = i + 1
        i = _skip(s, i)
    spans.append((begin, min(i, hi)))
    return spans


def _seq(items: list[Node]) -> Node:
    flat: list[Node] = []
    for item in items:
        if isinstance(item, Seq):
            flat.extend(item.items)
        else:
            flat.append(item)
    return flat[0] if len(flat) == 1 else Seq(tuple(flat))


def _alt(items: list[Node]) -> Node:
    """Flattened, de-duplicated alternation (dict keeps order and is linear, unlike ``regex_ast.alt``)."""
    flat: dict[Node, None] = {}
    for item in items:
        for sub in item.items if isinstance(item, Alt) else (item,):
            flat[sub] = None
    out = tuple(flat)
    return out[0] if len(out) == 1 else Alt(out)
