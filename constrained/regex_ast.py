"""A small regular-expression AST over Unicode code points: the contract between front ends and the DFA builder.

Front ends (the regex parser, JSON Schema lowering, choice lists) build these nodes; the automaton builder lowers
them to a byte-level DFA (UTF-8). Nodes are frozen and hashable so identical sub-expressions can be shared.

Semantics are full-match: a node denotes a set of strings, nothing is anchored or searched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CODEPOINT = 0x10FFFF
# UTF-16 surrogates cannot be encoded in UTF-8: character sets never contain them.
SURROGATES = (0xD800, 0xDFFF)


def _cached_hash(node: object) -> int:
    """A node's hash, computed once: nodes are trees used as dict keys, and a fresh hash walks the whole tree."""
    got = node.__dict__.get("_hash")
    if got is None:
        got = hash((type(node).__name__, *(getattr(node, f) for f in node.__dataclass_fields__)))  # type: ignore[attr-defined]
        object.__setattr__(node, "_hash", got)
    return int(got)


def _state_without_hash(node: object) -> dict[str, object]:
    """Pickled state: the cached hash is left out (string hashes differ between processes)."""
    return {k: v for k, v in node.__dict__.items() if k != "_hash"}


def _set_state(node: object, state: dict[str, object]) -> None:
    for key, value in state.items():
        object.__setattr__(node, key, value)


@dataclass(frozen=True)
class CharSet:
    """One character from a set of code points: ``ranges`` are sorted, disjoint, non-adjacent ``(lo, hi)`` pairs."""

    ranges: tuple[tuple[int, int], ...]

    __hash__ = _cached_hash
    __getstate__ = _state_without_hash
    __setstate__ = _set_state


@dataclass(frozen=True)
class Seq:
    """Concatenation; ``Seq(())`` is the empty string."""

    items: tuple[Node, ...]

    __hash__ = _cached_hash
    __getstate__ = _state_without_hash
    __setstate__ = _set_state


@dataclass(frozen=True)
class Alt:
    """Alternation; ``Alt(())`` matches nothing."""

    items: tuple[Node, ...]

    __hash__ = _cached_hash
    __getstate__ = _state_without_hash
    __setstate__ = _set_state


@dataclass(frozen=True)
class Repeat:
    """``item`` repeated ``min`` to ``max`` times; ``max=None`` means unbounded."""

    item: Node
    min: int
    max: int | None

    __hash__ = _cached_hash
    __getstate__ = _state_without_hash
    __setstate__ = _set_state


Node = CharSet | Seq | Alt | Repeat


@dataclass(frozen=True, eq=False)
class Automaton:
    """Hook for ``dfa_ops``: a sub-language given by a prebuilt, non-empty-string byte DFA (``ByteDFA``).

    Built only by ``constrained.dfa_ops`` (intersection, difference) and embedded by ``nfa.ByteNFA``; compared
    by identity. It is not part of ``Node``: only ``dfa_ops`` callers ever meet it, cast to ``Node``. ``min``
    and ``item`` let generic walkers that treat unknown nodes as a ``Repeat`` see a non-nullable, non-empty
    language.
    """

    dfa: object
    min: int = 1
    item: CharSet = CharSet(((0, MAX_CODEPOINT),))

EMPTY = Seq(())
NOTHING = Alt(())


# --- constructors that keep trees small --------------------------------------------------------------------


def nullable(node: Node) -> bool:
    """Whether ``node`` matches the empty string (an embedded ``Automaton`` never does: ``min`` is 1)."""
    if isinstance(node, CharSet):
        return False
    if isinstance(node, Seq):
        return all(nullable(i) for i in node.items)
    if isinstance(node, Alt):
        return any(nullable(i) for i in node.items)
    return node.min == 0 or nullable(node.item)


def charset(ranges: list[tuple[int, int]] | tuple[tuple[int, int], ...]) -> CharSet:
    """A normalized CharSet: ranges sorted, merged, surrogates removed."""
    cut: list[tuple[int, int]] = []
    for lo, hi in ranges:
        if lo > hi:
            continue
        if lo <= SURROGATES[1] and hi >= SURROGATES[0]:
            if lo < SURROGATES[0]:
                cut.append((lo, SURROGATES[0] - 1))
            if hi > SURROGATES[1]:
                cut.append((SURROGATES[1] + 1, hi))
        else:
            cut.append((lo, hi))
    cut.sort()
    merged: list[tuple[int, int]] = []
    for lo, hi in cut:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return CharSet(tuple(merged))


def negate(cs: CharSet) -> CharSet:
    """Every code point (except surrogates) not in ``cs``."""
    out: list[tuple[int, int]] = []
    nxt = 0
    for lo, hi in cs.ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= MAX_CODEPOINT:
        out.append((nxt, MAX_CODEPOINT))
    return charset(out)


ANY_CHAR = charset([(0, MAX_CODEPOINT)])


def chars(text: str) -> CharSet:
    """A set of the given characters."""
    return charset([(ord(c), ord(c)) for c in text])


def literal(text: str) -> Node:
    """The exact string ``text``."""
    if len(text) == 1:
        return chars(text)
    return Seq(tuple(chars(c) for c in text))


def seq(*items: Node) -> Node:
    """Concatenation that flattens nested sequences and drops empty strings."""
    flat: list[Node] = []
    for item in items:
        if item == NOTHING:
            return NOTHING
        if isinstance(item, Seq):
            flat.extend(item.items)
        else:
            flat.append(item)
    return flat[0] if len(flat) == 1 else Seq(tuple(flat))


def alt(*items: Node) -> Node:
    """Alternation that flattens nested alternations and drops duplicates (order kept)."""
    flat: list[Node] = []
    for item in items:
        for sub in item.items if isinstance(item, Alt) else (item,):
            if sub not in flat:
                flat.append(sub)
    return flat[0] if len(flat) == 1 else Alt(tuple(flat))


def repeat(item: Node, lo: int, hi: int | None) -> Node:
    """``item{lo,hi}`` with trivial cases folded."""
    if hi is not None and hi < lo:
        raise ValueError(f"repeat bounds out of order: {lo} > {hi}")
    if hi == 1 and lo == 1:
        return item
    if hi == 0:
        return EMPTY
    return Repeat(item, lo, hi)


def optional(item: Node) -> Node:
    """``item?``."""
    return repeat(item, 0, 1)


# --- rendering (debugging and tests: an independent oracle via Python's ``re``) -----------------------------


def _class_char(cp: int) -> str:
    return f"\\U{cp:08x}" if cp > 0xFFFF else f"\\u{cp:04x}" if cp > 0x7E or cp < 0x20 else re.escape(chr(cp))


def to_python_regex(node: Node) -> str:
    """Render ``node`` as a pattern for Python's ``re`` with the same full-match language."""
    if isinstance(node, CharSet):
        if not node.ranges:
            return "(?!)"
        body = "".join(
            _class_char(lo) if lo == hi else f"{_class_char(lo)}-{_class_char(hi)}" for lo, hi in node.ranges
        )
        return f"[{body}]"
    if isinstance(node, Seq):
        return "".join(f"(?:{to_python_regex(i)})" for i in node.items)
    if isinstance(node, Alt):
        if not node.items:
            return "(?!)"
        return "|".join(f"(?:{to_python_regex(i)})" for i in node.items)
    hi = "" if node.max is None else str(node.max)
    return f"(?:{to_python_regex(node.item)}){{{node.min},{hi}}}"
