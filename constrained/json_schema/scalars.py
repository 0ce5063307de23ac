"""Strings (length, pattern, format) and numbers (bounds, multipleOf) for one schema object."""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from typing import TYPE_CHECKING, Any

from constrained.dfa_ops import intersection
from constrained.errors import BudgetExceeded, InvalidConstraint, UnsupportedFeature
from constrained.regex_ast import NOTHING, CharSet, Node, Repeat

from . import numbers
from .exact_multiple import exact_decimal
from .formats import format_node, is_annotation_format, is_defined_format
from .strings import encode_pattern, length_range, quoted, string_body

if TYPE_CHECKING:
    from .lower import Lowerer

# Budget for one string intersection (pattern/format/length): beyond it the schema is refused by name.
MAX_INTERSECTION_STATES = 30_000
MAX_INTERSECTION_SECONDS = 1.0


def _pattern(text: str, ptr: str) -> Node:
    try:
        from constrained.regex_parser import parse_regex  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        raise UnsupportedFeature("pattern", ptr, "the regex parser is not available yet") from exc
    try:
        node: Node = parse_regex(text, search=True, encode=encode_pattern)
    except UnsupportedFeature as exc:
        raise UnsupportedFeature("pattern", ptr, f"{exc.keyword}: {exc.reason}") from exc
    except BudgetExceeded as exc:  # a lookahead's product too large
        raise UnsupportedFeature("pattern", ptr, f"exceeds the budget: {exc}") from exc
    except InvalidConstraint as exc:
        raise InvalidConstraint(f"invalid pattern {text!r}: {exc}", ptr) from exc
    return node


def parse_key_pattern(text: str, ptr: str) -> Node:
    """A ``patternProperties`` key pattern (search semantics) as a node over decoded characters."""
    return _pattern(text, ptr)


def string_node(lw: Lowerer, schema: dict, ptr: str) -> Node:
    """Quoted string texts allowed by minLength/maxLength/pattern/format."""
    lo = int(schema.get("minLength", 0))  # 2.0 is a valid count in 2020-12
    hi = None if schema.get("maxLength") is None else int(schema["maxLength"])
    content: list[tuple[str, Node]] = []  # (keyword, pattern over decoded characters)
    if "format" in schema:
        _add_format(lw, schema["format"], f"{ptr}/format", content)
    if "pattern" in schema:
        try:
            content.append(("pattern", _pattern(schema["pattern"], f"{ptr}/pattern")))
        except UnsupportedFeature as exc:
            lw.refuse(exc.keyword, exc.pointer, exc.reason)
    if not content:
        return quoted(string_body(lo, hi))
    if len(content) == 1 and (lo > 0 or hi is not None):
        tightened = _tighten(content[0][1], lo, hi)
        if tightened is not None:
            return NOTHING if tightened == NOTHING else quoted(encode_pattern(tightened))
    # The general case: intersect the encoded languages (escapes count as one character on every side).
    parts = [encode_pattern(node) for _, node in content]
    if lo > 0 or hi is not None:
        parts.append(string_body(lo, hi))
    if len(parts) == 1:
        return quoted(parts[0])
    try:
        return quoted(intersection(*parts, max_states=MAX_INTERSECTION_STATES, max_seconds=MAX_INTERSECTION_SECONDS))
    except BudgetExceeded as exc:
        keyword = content[-1][0]
        lw.refuse(keyword, f"{ptr}/{keyword}", f"intersecting format/pattern/length exceeds the budget: {exc}")
        return quoted(parts[0])  # lenient: the first constraint only (the rest is reported as weakened)


def _add_format(lw: Lowerer, name: Any, ptr: str, content: list[tuple[str, Node]]) -> None:
    """Append the pattern of ``format: name`` to ``content``, or record why it checks nothing, or refuse it."""
    if not is_defined_format(name):
        lw.ignored.append(("format", ptr, f"{name!r} is not a format JSON Schema or OpenAPI defines: an annotation"))
    elif not lw.assert_formats:
        lw.ignored.append(("format", ptr, f"{name!r} is an annotation (formats='annotation')"))
    elif (node := format_node(name)) is not None:
        content.append(("format", node))
    elif not is_annotation_format(name):
        lw.refuse("format", ptr, f"format {name!r} is not supported")


def _tighten(node: Node, lo: int, hi: int | None) -> Node | None:
    """``node`` restricted to lengths lo..hi when that stays a plain node (None: needs an intersection)."""
    node_lo, node_hi = length_range(node)
    if node_lo >= lo and (hi is None or (node_hi is not None and node_hi <= hi)):
        return node
    if isinstance(node, Repeat) and isinstance(node.item, CharSet):  # e.g. ^[a-z]*$: tighten bounds
        new_hi = hi if node.max is None else (node.max if hi is None else min(hi, node.max))
        new_lo = max(lo, node.min)
        if new_hi is not None and new_lo > new_hi:
            return NOTHING
        return Repeat(node.item, new_lo, new_hi)
    return None


_PLACES = Decimal(10) ** -30
_WIDE = Context(prec=1000)


def number_bounds(schema: dict) -> tuple[Any, bool, Any, bool]:
    """(low, low exclusive, high, high exclusive) as the schema's own numbers.

    Folds the draft-4 boolean and the draft-6+ numeric spellings of the exclusive bounds.
    """
    lo: Any = None
    hi: Any = None
    lo_x = hi_x = False
    ex_min, ex_max = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if "minimum" in schema:
        lo, lo_x = schema["minimum"], ex_min is True
    if "maximum" in schema:
        hi, hi_x = schema["maximum"], ex_max is True
    if ex_min is not None and not isinstance(ex_min, bool) and (lo is None or ex_min >= lo):
        lo, lo_x = ex_min, True
    if ex_max is not None and not isinstance(ex_max, bool) and (hi is None or ex_max <= hi):
        hi, hi_x = ex_max, True
    return lo, lo_x, hi, hi_x


def _float_bound(value: Any, strict: bool, upward: bool) -> Decimal:
    """An inclusive decimal bound that stays sound after the validator parses texts as doubles.

    A text with a fraction becomes a double (rounded), so ``x < y`` in decimals can still give
    ``float(x) == y``. Rounding is monotone, so bounding texts by the decimal ``repr`` of a double ``f``
    with ``f`` on the right side of ``value`` (the next double inward when exclusive, or when ``value`` is an
    int that rounds outward) is sound; integer texts are parsed exactly and compare exactly.
    """
    try:
        f = float(value)
    except OverflowError as exc:
        raise numbers.NotExact("bound beyond the double range") from exc
    outward = (f < value) if upward else (f > value)
    if strict or outward:
        f = math.nextafter(f, math.inf if upward else -math.inf)
    if not math.isfinite(f):
        raise numbers.NotExact("bound beyond the double range")
    # Tiny bounds (e.g. the double after 0) have hundreds of digits: round inward to 30 places (stricter).
    exact = Decimal(repr(f))
    if exact.as_tuple().exponent >= -30:  # type: ignore[operator]
        return exact
    return exact.quantize(_PLACES, rounding=ROUND_CEILING if upward else ROUND_FLOOR, context=_WIDE)


def number_node(lw: Lowerer, schema: dict, ptr: str, integer: bool) -> Node:
    """Number (or integer) texts allowed by the numeric keywords."""
    lo, lo_x, hi, hi_x = number_bounds(schema)
    step = schema.get("multipleOf")
    if step is not None and not (isinstance(step, int) or float(step).is_integer()):
        # A decimal step: the texts of the range without it, intersected with the exact multiples.
        base = number_node(lw, {k: v for k, v in schema.items() if k != "multipleOf"}, ptr, integer)
        try:
            return intersection(base, numbers.decimal_multiples(exact_decimal(step)))
        except (numbers.NotExact, BudgetExceeded) as exc:
            lw.refuse("multipleOf", f"{ptr}/multipleOf", str(exc))
            return base
    try:
        if integer or step is not None:  # integer-valued multipleOf admits integer texts only (stricter)
            # Integer texts parse to exact ints, compared exactly with the bound's exact value.
            dlo = None if lo is None else Decimal(lo)
            dhi = None if hi is None else Decimal(hi)
            ilo = None if dlo is None else (math.floor(dlo) + 1 if lo_x else math.ceil(dlo))
            ihi = None if dhi is None else (math.ceil(dhi) - 1 if hi_x else math.floor(dhi))
            if step is not None:
                return numbers.multiples(int(step), ilo, ihi)
            return numbers.integer_range(ilo, ihi)
        flo = None if lo is None else _float_bound(lo, lo_x, upward=True)
        fhi = None if hi is None else _float_bound(hi, hi_x, upward=False)
        return numbers.number_range(flo, False, fhi, False)
    except numbers.NotExact as exc:
        keyword = "multipleOf" if step is not None else "minimum" if lo is not None else "maximum"
        lw.refuse(keyword, f"{ptr}/{keyword}", str(exc))
        return numbers.INTEGER if integer else numbers.NUMBER
