r"""Python-``re`` dialect details of Lark terminals: Unicode ``\d \w \s`` and the ``i`` flag.

Lark terminals are Python regexes on ``str``, where ``\d``, ``\w`` and ``\s`` are Unicode-aware
(``str.isdecimal``, ``str.isalnum() or "_"``, ``str.isspace``); the shared regex parser gives them their
ECMA/ASCII meaning (right for JSON Schema). ``python_class_escapes`` rewrites them as explicit ranges first, so a
Lark grammar accepts exactly what Python would. ``case_fold`` implements the ``i`` flag on the AST.
"""

from __future__ import annotations

import sys

from constrained.regex_ast import Alt, CharSet, Node, Repeat, Seq, charset, negate

# Past this code point (end of CJK Extension H) Python's str predicates are False for every code point.
_LAST_ASSIGNED = 0x323AF
_PY_CLASSES: dict[str, tuple[tuple[int, int], ...]] = {}
_CASED: list[tuple[int, tuple[int, ...]]] = []


def _py_class(letter: str) -> tuple[tuple[int, int], ...]:
    r"""Ranges of Python's ``\d``/``\w``/``\s`` (computed once, ~30 ms each)."""
    got = _PY_CLASSES.get(letter)
    if got is None:
        tests = {"d": str.isdecimal, "s": str.isspace, "w": lambda c: c.isalnum() or c == "_"}
        test = tests[letter]
        ranges: list[tuple[int, int]] = []
        for cp in range(_LAST_ASSIGNED + 1):
            if test(chr(cp)):
                if ranges and ranges[-1][1] == cp - 1:
                    ranges[-1] = (ranges[-1][0], cp)
                else:
                    ranges.append((cp, cp))
        got = _PY_CLASSES[letter] = tuple(ranges)
    return got


def python_class_escapes(src: str) -> str:
    r"""``src`` with ``\d \w \s \D \W \S`` replaced by Python's Unicode ranges (as ``\x{..}``, valid in classes)."""
    out: list[str] = []
    i, n, in_class = 0, len(src), False
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n:
            e = src[i + 1]
            if e in "dwsDWS":
                cs = charset(list(_py_class(e.lower())))
                if e.isupper():
                    cs = negate(cs)
                body = "".join(f"\\x{{{lo:x}}}-\\x{{{hi:x}}}" for lo, hi in cs.ranges)
                out.append(body if in_class else f"[{body}]")
            else:
                out.append(src[i : i + 2])
            i += 2
            continue
        out.append(c)
        i += 1
        if c == "[" and not in_class:
            in_class = True
            # A ']' right after '[' or '[^' is a literal in Python.
            if src.startswith("^", i):
                out.append("^")
                i += 1
            if src.startswith("]", i):
                out.append("\\]")
                i += 1
        elif c == "]" and in_class:
            in_class = False
    return "".join(out)


def _cased() -> list[tuple[int, tuple[int, ...]]]:
    """Code points with simple case variants: ``(cp, variants)`` (computed once)."""
    if not _CASED:
        # No code point above U+1E943 (Adlam) has a case mapping in Python's Unicode tables.
        for cp in range(min(sys.maxunicode, 0x1E943) + 1):
            c = chr(cp)
            variants = {ord(v) for v in (c.lower(), c.upper(), c.swapcase()) if len(v) == 1} - {cp}
            if variants:
                _CASED.append((cp, tuple(variants)))
    return _CASED


def _fold_set(cs: CharSet) -> CharSet:
    ranges = cs.ranges

    def has(cp: int) -> bool:
        return any(lo <= cp <= hi for lo, hi in ranges)

    extra = [(cp, cp) for cp, variants in _cased() if not has(cp) and any(has(v) for v in variants)]
    return charset(list(ranges) + extra) if extra else cs


def case_fold(node: Node) -> Node:
    """The case-insensitive version of ``node`` (a character matches if one of its simple case variants does)."""
    if isinstance(node, CharSet):
        return _fold_set(node)
    if isinstance(node, Seq):
        return Seq(tuple(case_fold(i) for i in node.items))
    if isinstance(node, Alt):
        return Alt(tuple(case_fold(i) for i in node.items))
    assert isinstance(node, Repeat)
    return Repeat(case_fold(node.item), node.min, node.max)
