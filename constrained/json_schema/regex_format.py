r"""``format: regex`` as a regular language: a sound subset of the regexes ECMA-262 and Python's ``re`` both accept.

Regex syntax nests (groups in groups), so no automaton holds all of it; this one holds groups nested up to
``MAX_GROUP_DEPTH`` deep and a plain core of the syntax, every text of which compiles in both dialects:

- literals: any character but ``\ ^ $ . | ? * + ( ) [ ] { }``; ``.``; the anchors ``^`` and ``$`` (never quantified);
- escapes of a class letter (``\d \D \w \W \s \S``), of ``n r t f``, or of a syntax character;
- classes ``[...]`` / ``[^...]`` of at least one item: a plain character, such an escape, or one of the ranges
  ``a-z``, ``A-Z``, ``0-9`` (arbitrary ranges could run backwards, which both dialects reject);
- groups ``(...)`` and ``(?:...)``, alternation, and the quantifiers ``* + ?``, ``{n}``, ``{n,}`` (n of at most
  three digits) and ``{n,m}`` (n one digit, m one digit not below it or two digits), each optionally lazy.

Anything beyond (deeper nesting, other counts, lookaround, named groups, backreferences) is rejected: stricter than the
format, a stated bound of this module like the limits of the other formats (``formats.py``).
"""

from __future__ import annotations

from constrained.regex_ast import Node, alt, chars, literal, negate, optional, repeat, seq

MAX_GROUP_DEPTH = 3
_SYNTAX = "\\^$.|?*+()[]{}"
_DIGIT = chars("0123456789")


def regex_format() -> Node:
    """The decoded-text language of ``format: regex`` (see the module docstring)."""
    escape = seq(chars("\\"), chars("dDwWsSnrtf" + _SYNTAX + "/-"))
    class_item = alt(negate(chars(_SYNTAX + "-")), escape, literal("a-z"), literal("A-Z"), literal("0-9"))
    klass = seq(chars("["), optional(chars("^")), repeat(class_item, 1, None), chars("]"))
    plain = alt(negate(chars(_SYNTAX)), chars("."), escape, klass)
    count = repeat(_DIGIT, 1, 3)
    # {n,m} with n <= m, kept to what an automaton compares easily: one digit against one, or against two digits
    between = alt(
        *(seq(chars(str(n)), chars(","), chars("0123456789"[n:])) for n in range(10)),
        seq(_DIGIT, chars(","), chars("123456789"), _DIGIT),
    )
    quantifier = seq(
        alt(chars("*+?"), seq(chars("{"), alt(count, seq(count, chars(",")), between), chars("}"))),
        optional(chars("?")),
    )
    anchor = chars("^$")
    expression: Node = _alternation(seq(plain, optional(quantifier)), anchor)
    for _ in range(MAX_GROUP_DEPTH):  # one level of groups around the expression built so far
        group = seq(chars("("), optional(literal("?:")), expression, chars(")"))
        expression = _alternation(seq(alt(plain, group), optional(quantifier)), anchor)
    return expression


def _alternation(piece: Node, anchor: Node) -> Node:
    """Sequences of ``piece`` and ``anchor``, separated by ``|`` (any of them may be empty)."""
    sequence = repeat(alt(piece, anchor), 0, None)
    return seq(sequence, repeat(seq(chars("|"), sequence), 0, None))
