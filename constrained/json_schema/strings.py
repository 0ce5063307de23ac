r"""JSON string text: one decoded character <-> its raw or escaped spellings.

A JSON string body is a sequence of *units*; each unit decodes to exactly one character. A unit is the raw
character (allowed for everything except ``"``, ``\`` and U+0000-U+001F), a short escape (``\n``, ``\"``...),
``\uXXXX`` with hex digits in either case, or a surrogate pair ``\uD83D\uDE00`` for characters beyond the BMP.
Because the decomposition of a string body into units is unique, replacing every character set of a pattern
over *decoded* text by the union of its units gives exactly the language of encoded texts; and lengths counted
in units are lengths in characters, which is how JSON Schema counts ``minLength``/``maxLength``.

Lone surrogate escapes (``\ud800`` alone) are never produced: they do not decode to a Unicode string (stricter).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from constrained.byte_dfa import DEAD
from constrained.regex_ast import (
    ANY_CHAR,
    EMPTY,
    NOTHING,
    CharSet,
    Node,
    alt,
    chars,
    charset,
    literal,
    negate,
    repeat,
    seq,
)

from .digits import fixed_range

QUOTE = chars('"')
# Characters JSON forbids raw inside strings.
_MUST_ESCAPE = charset([(0, 0x1F), (0x22, 0x22), (0x5C, 0x5C)])
_RAW_OK = negate(_MUST_ESCAPE)
_SHORT_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t"}


def _hex_digit(lo: int, hi: int) -> CharSet:
    """Hex digits with values lo..hi, both letter cases (JSON allows either)."""
    text = "".join(f"{d:x}" for d in range(lo, hi + 1))
    return chars(text + text.upper())


def intersect(a: CharSet, b: CharSet) -> CharSet:
    """The code points in both ``a`` and ``b``."""
    out = []
    for alo, ahi in a.ranges:
        for blo, bhi in b.ranges:
            if alo <= bhi and blo <= ahi:
                out.append((max(alo, blo), min(ahi, bhi)))
    return charset(out)


def contains(cs: CharSet, cp: int) -> bool:
    """Whether code point ``cp`` is in ``cs``."""
    return any(lo <= cp <= hi for lo, hi in cs.ranges)


def _hex4(lo: int, hi: int) -> Node:
    return fixed_range(lo, hi, 4, 16, _hex_digit)


def _astral(lo: int, hi: int) -> list[Node]:
    r"""Surrogate-pair escapes (after the first ``\u``) for the code points lo..hi, all above U+FFFF."""
    hl, ll = 0xD800 + ((lo - 0x10000) >> 10), 0xDC00 + ((lo - 0x10000) & 0x3FF)
    hh, lh = 0xD800 + ((hi - 0x10000) >> 10), 0xDC00 + ((hi - 0x10000) & 0x3FF)
    low_u = literal("\\u")
    if hl == hh:
        return [seq(_hex4(hl, hl), low_u, _hex4(ll, lh))]
    out = []
    first_full = hl if ll == 0xDC00 else hl + 1
    last_full = hh if lh == 0xDFFF else hh - 1
    if first_full != hl:
        out.append(seq(_hex4(hl, hl), low_u, _hex4(ll, 0xDFFF)))
    if first_full <= last_full:  # whole blocks of low surrogates
        out.append(seq(_hex4(first_full, last_full), low_u, _hex4(0xDC00, 0xDFFF)))
    if last_full != hh:
        out.append(seq(_hex4(hh, hh), low_u, _hex4(0xDC00, lh)))
    return out


@lru_cache(maxsize=4096)
def encode_charset(cs: CharSet) -> Node:
    """Every JSON spelling (raw or escaped) of one character from ``cs``."""
    parts: list[Node] = []
    raw = intersect(cs, _RAW_OK)
    if raw.ranges:
        parts.append(raw)
    # Everything escaped shares the backslash, which keeps the tree (and rendered patterns) small.
    letters = "".join(esc for ch, esc in _SHORT_ESCAPES.items() if contains(cs, ord(ch)))
    hex_parts: list[Node] = []
    for lo, hi in cs.ranges:
        if lo <= 0xFFFF:
            hex_parts.append(_hex4(lo, min(hi, 0xFFFF)))
        if hi >= 0x10000:
            hex_parts.extend(_astral(max(lo, 0x10000), hi))
    escaped: list[Node] = [chars(letters)] if letters else []
    if hex_parts:
        escaped.append(seq(chars("u"), alt(*hex_parts)))
    if escaped:
        parts.append(seq(chars("\\"), alt(*escaped)))
    return alt(*parts) if parts else NOTHING


ANY_UNIT = encode_charset(ANY_CHAR)


def string_body(min_len: int = 0, max_len: int | None = None) -> Node:
    """A string body (no quotes) of ``min_len``..``max_len`` characters, escapes counting as one."""
    if max_len is not None and max_len < min_len:
        return NOTHING  # minLength above maxLength: no string
    return repeat(ANY_UNIT, min_len, max_len)


def quoted(body: Node) -> Node:
    """``"`` body ``"``."""
    return seq(QUOTE, body, QUOTE)


def exact_string(text: str) -> Node:
    """All spellings of the JSON string whose decoded value is ``text`` (quotes included)."""
    return quoted(seq(*(encode_charset(chars(c)) for c in text)))


def string_not_in(names: list[str]) -> Node:
    """Any JSON string (quotes included) whose decoded value is none of ``names``.

    Built as the complement of a trie, so its size is linear in the total length of the names.
    """
    trie: dict = {}
    for name in sorted(set(names)):  # the same names give the same node, whatever their order
        node = trie
        for c in name:
            node = node.setdefault(c, {})
        node[None] = {}

    def rest(node: dict) -> Node:
        kids = [c for c in node if c is not None]
        parts: list[Node] = [] if None in node else [EMPTY]
        for c in kids:
            parts.append(seq(encode_charset(chars(c)), rest(node[c])))
        others = negate(chars("".join(kids)))
        parts.append(seq(encode_charset(others), repeat(ANY_UNIT, 0, None)))
        return alt(*parts)

    return quoted(rest(trie))


def encode_pattern(node: Node) -> Node:
    """Turn a regex AST over decoded characters into one over JSON-escaped string text.

    An embedded ``Automaton`` (a lookahead's product, ``regex_parser``) is already over escaped text: kept.
    """
    from constrained.regex_ast import Alt, Automaton, Repeat, Seq

    if isinstance(node, Automaton):
        return node
    if isinstance(node, CharSet):
        return encode_charset(node)
    if isinstance(node, Seq):
        return seq(*(encode_pattern(i) for i in node.items))
    if isinstance(node, Alt):
        return alt(*(encode_pattern(i) for i in node.items)) if node.items else NOTHING
    assert isinstance(node, Repeat)
    return repeat(encode_pattern(node.item), node.min, node.max)


def length_range(node: Node) -> tuple[int, int | None]:
    """The fewest and most characters a (decoded-text) node can match; None means unbounded."""
    from constrained.regex_ast import Alt, Automaton, Repeat, Seq

    if isinstance(node, Automaton):  # a lookahead's product over escaped text: at least one character
        return (1, None)
    if isinstance(node, CharSet):
        return (1, 1)
    if isinstance(node, Seq):
        lo = 0
        hi_opt: int | None = 0
        for item in node.items:
            a, b = length_range(item)
            lo += a
            hi_opt = None if hi_opt is None or b is None else hi_opt + b
        return (lo, hi_opt)
    if isinstance(node, Alt):
        if not node.items:
            return (0, 0)
        ranges = [length_range(i) for i in node.items]
        his = [b for _, b in ranges]
        return (min(a for a, _ in ranges), None if None in his else max(h for h in his if h is not None))
    assert isinstance(node, Repeat)
    a, b = length_range(node.item)
    top = None if node.max is None or b is None else b * node.max
    return (a * node.min, top)


def _automaton_ends(node: Any, text: str, i: int) -> list[int]:
    """Ends ``j`` such that the escaped spelling of ``text[i:j]`` is in an embedded automaton's language.

    One spelling per character suffices: the automaton was built from escaped languages, which hold every spelling
    of each string they hold.
    """
    dfa = node.dfa
    state, out = dfa.start, []
    for j in range(i, len(text)):
        try:
            spelled = json.dumps(text[j], ensure_ascii=False)[1:-1].encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: only its escape spells it
            spelled = json.dumps(text[j])[1:-1].encode("ascii")
        state = dfa.walk(state, spelled)
        if state == DEAD:
            break
        if dfa.accepting[state]:
            out.append(j + 1)
    return out


def node_matches(node: Node, text: str) -> bool:
    """Whether ``node`` matches all of ``text`` (end positions memoized per node and start: linear in the DAG)."""
    from constrained.regex_ast import Alt, Automaton, Repeat

    memo: dict[tuple[int, int], frozenset[int]] = {}

    def ends(n: Node, i: int) -> frozenset[int]:
        key = (id(n), i)
        if key in memo:
            return memo[key]
        if isinstance(n, Automaton):  # over escaped text (a lookahead's product): walk one spelling of the rest
            out = frozenset(_automaton_ends(n, text, i))
        elif isinstance(n, CharSet):
            ok = i < len(text) and contains(n, ord(text[i]))
            out = frozenset((i + 1,)) if ok else frozenset()
        elif isinstance(n, Alt):
            out = frozenset(q for item in n.items for q in ends(item, i))
        elif isinstance(n, Repeat):
            cur = {i}
            for _ in range(n.min):
                cur = {q for p in cur for q in ends(n.item, p)}
            seen, frontier, count = set(cur), cur, n.min
            while frontier and (n.max is None or count < n.max):
                frontier = {q for p in frontier for q in ends(n.item, p)} - seen
                seen |= frontier
                count += 1
            out = frozenset(seen)
        else:
            cur = {i}
            for item in n.items:
                cur = {q for p in cur for q in ends(item, p)}
            out = frozenset(cur)
        memo[key] = out
        return out

    return len(text) in ends(node, 0)
