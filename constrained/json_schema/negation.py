"""``not``: exact where the negated schema's language is known exactly and is regular.

Two constructions:

- type level: ``not: {type: T}`` removes T from the admitted types (``integer`` only together with ``number``,
  since a text like ``1.0`` is an integer of type number);
- text level: when the negated schema is built only from ``type`` (null, boolean, string), ``enum``/``const``
  of such values, ``minLength``, ``maxLength`` and ``pattern``, its lowering is *exactly* its valid texts (no
  stricter-than-schema choice involved), so the null/boolean/string parts of the outer schema are intersected
  with its complement (``dfa_ops.difference``). Other types are untouched: the removed texts have none of them.
  Without ``type``, a negated schema of only string keywords (``pattern``, lengths) holds for every non-string,
  so the outer schema keeps only strings.

A third, at the schema level (``not_required``): ``not: {required: [a, b]}`` holds exactly for objects missing
``a`` or missing ``b``; it becomes an ``anyOf`` of the outer schema with one of those keys forbidden (and, for
``not: {type: object, required: [...]}``, the outer schema's non-object types too). A fourth
(``not_number_range``): ``not: {minimum: a, maximum: b}`` holds exactly for the numbers outside ``a..b`` (every
non-number is valid against the range); it becomes an ``anyOf`` of the outer schema over the ranges below and
above, plus the non-numbers when the negated schema also says ``type: number``. ``not: {const: 1}`` (or an enum
of numbers) likewise: the gaps around the values, and every non-number.

Anything else is refused: subtracting an under-approximated language would admit invalid texts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from constrained.regex_ast import Node, alt, charset, literal, optional, repeat, seq

from .merge import ALL_TYPES, has_constraints
from .refs import enter
from .rules import is_regular

if TYPE_CHECKING:
    from .lower import Lowerer

_EXACT_KEYS = {"type", "enum", "const", "minLength", "maxLength", "pattern"}
_EXACT_TYPES = {"null", "boolean", "string"}
_STRING_KEYS = {"minLength", "maxLength", "pattern"}
NEGATABLE_TYPES = ("null", "boolean", "string")  # the outer parts a text-level removal applies to
NON_INTEGER_TYPE = "non-integer number"  # in a set of admitted types: numbers, minus the integers (``not integer``)
NON_INTEGER = {"type": "number", "not": {"type": "integer"}}  # the schema of those numbers
# Their texts: a fraction with a digit other than 0, no exponent (those spellings are left out: stricter).
_DIGIT, _NONZERO = charset([(0x30, 0x39)]), charset([(0x31, 0x39)])
NON_INTEGER_TEXTS = seq(
    optional(literal("-")),
    alt(literal("0"), seq(_NONZERO, repeat(_DIGIT, 0, None))),
    literal("."),
    repeat(_DIGIT, 0, None),
    _NONZERO,
    repeat(_DIGIT, 0, None),
)


def apply_not(lw: Lowerer, schema: dict, types: set[str], ptr: str, res: Any) -> tuple[set[str], Node | None]:
    """(admitted types after a type-level ``not``, texts to remove from the null/boolean/string parts or None)."""
    where = f"{ptr}/not"
    types, removed = _negate(lw, schema["not"], types, where, res)
    return types, (alt(*removed) if removed else None)


def _negate(lw: Lowerer, negated: Any, types: set[str], where: str, res: Any) -> tuple[set[str], list[Node]]:
    sub, sres, _, _ = lw.expand(negated, where, enter(negated, res, lw.spec))
    if sub is True or (isinstance(sub, dict) and not has_constraints(sub)):
        return set(), []  # not {} rejects everything
    if sub is False:
        return types, []
    keys = {k for k in sub if k in _EXACT_KEYS or has_constraints({k: sub[k]})}
    if keys == {"anyOf"}:  # not (A or B) = not A and not B
        removed: list[Node] = []
        for i, branch in enumerate(sub["anyOf"]):
            types, more = _negate(lw, branch, types, f"{where}/anyOf/{i}", sres)
            removed += more
        return types, removed
    if keys == {"type"}:
        negated_types = {sub["type"]} if isinstance(sub["type"], str) else set(sub["type"])
        if "integer" in negated_types and "number" not in negated_types and "number" in types:
            # Whether "15e-1" is an integer compares digit counts with the exponent: not regular. The non-integer
            # numbers are written without exponent (a stated bound: stricter, and reported).
            lw.bounds_hit.append(where)
            return types - negated_types - {"number"} | {NON_INTEGER_TYPE}, []
        return types - negated_types - ({"integer"} if "number" in negated_types else set()), []
    declared = sub.get("type")
    declared_types = {declared} if isinstance(declared, str) else set(declared or ())
    if keys and keys <= _STRING_KEYS:
        # Without "type", every non-string is valid against ``sub`` (its keywords apply to strings only), so
        # ``not sub`` admits strings only, minus those ``sub`` matches.
        types = types & {"string"}
        sub, declared_types = {**sub, "type": "string"}, {"string"}
    values = [sub["const"]] if "const" in sub else list(sub.get("enum", []))
    exact = (
        keys <= _EXACT_KEYS
        and (declared_types or "enum" in sub or "const" in sub)
        and declared_types <= _EXACT_TYPES
        and all(v is None or isinstance(v, bool | str) for v in values)
    )
    if not exact:
        lw.refuse("not", where, "only types, string enums/consts, lengths and patterns can be negated exactly")
        return types, []
    node = lw.lower(sub, where, sres)
    if not is_regular(node):
        lw.refuse("not", where, "the negated schema is not regular")
        return types, []
    return types, [node]


def exact_string_part(schema: Any) -> dict | None:
    """``schema`` restricted to strings, when its strings can be negated exactly (else None).

    The criterion of the text-level construction: only ``type``, string ``enum``/``const``, lengths and
    ``pattern`` (a ``format`` pattern is a subset of its RFC, so its complement would be too large).
    """
    if schema is True:
        return {"type": "string"}
    if not isinstance(schema, dict) or any(k not in _EXACT_KEYS for k in schema if has_constraints({k: schema[k]})):
        return None
    declared = schema.get("type", "string")
    if "string" not in ([declared] if isinstance(declared, str) else declared):
        return None
    out = {k: v for k, v in schema.items() if k in _EXACT_KEYS}
    out["type"] = "string"
    for keyword in ("enum", "const"):
        if keyword in out:
            values = [out.pop(keyword)] if keyword == "const" else out.pop(keyword)
            out["enum"] = [v for v in values if isinstance(v, str)]
    return out


def not_required(lw: Lowerer, schema: dict, ptr: str, res: Any) -> dict | bool | None:
    """``schema`` rewritten without its ``not``, when that ``not`` only lists required keys, else None.

    ``not {required: R}`` rejects every non-object (they are valid against ``required``) and every object
    holding all of ``R``. Forbidding one key ``k`` of ``R`` is adding ``k: false`` to ``properties``: an instance
    without ``k`` is unaffected by it, and one with ``k`` is invalid either way. So the result is exact.
    """
    negated, _, _, _ = lw.expand(schema["not"], f"{ptr}/not", enter(schema["not"], res, lw.spec))
    if not isinstance(negated, dict):
        return None
    keys = {k for k in negated if has_constraints({k: negated[k]})}
    if keys != {"required"} and not (keys == {"required", "type"} and negated["type"] == "object"):
        return None
    rest = {k: v for k, v in schema.items() if k != "not"}
    declared = rest.get("type", sorted(ALL_TYPES))
    declared = [declared] if isinstance(declared, str) else list(declared)
    variants: list[Any] = []
    if "type" in keys:  # ``not {type: object, required: R}`` also holds for every non-object
        others = [t for t in declared if t != "object"]
        if others:
            variants.append({**rest, "type": others})
    if "object" in declared:
        variants += [
            {**rest, "type": "object", "properties": {**rest.get("properties", {}), key: False}}
            for key in dict.fromkeys(negated["required"])
        ]
    return {"anyOf": variants} if variants else False


_RANGE_KEYS = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}


def not_number_range(lw: Lowerer, schema: dict, ptr: str, res: Any) -> dict | bool | None:
    """``schema`` rewritten without its ``not``, when that ``not`` is a number range or lists numbers, else None.

    ``not {minimum: a, maximum: b}`` holds exactly for the numbers below ``a`` or above ``b`` (every non-number
    is valid against the range, so invalid here); with ``type: number`` in the negated schema the non-numbers
    are kept too. ``not {const: 1}`` (or an ``enum`` of numbers) holds for the numbers in the gaps around the
    listed values, in any spelling, and for every non-number. Each piece is the outer schema with its own bounds
    tightened to the piece, so the result is exact: the pieces are ranges the number lowering builds exactly.
    """
    from .scalars import number_bounds

    negated, _, _, _ = lw.expand(schema["not"], f"{ptr}/not", enter(schema["not"], res, lw.spec))
    dialect = str(lw.validator_cls.META_SCHEMA.get("$schema", ""))
    boolean_exclusive = "draft-03" in dialect or "draft-04" in dialect  # also the drafts without ``const``
    excluded = _excluded_ranges(negated, number_bounds)
    if excluded is None or (boolean_exclusive and isinstance(negated, dict) and "const" in negated):
        return None
    ranges, numbers_only = excluded
    rest = {k: v for k, v in schema.items() if k != "not"}
    own_lo, own_lo_x, own_hi, own_hi_x = number_bounds(rest)
    numbers = {k: v for k, v in rest.items() if k not in _RANGE_KEYS}
    declared = rest.get("type")
    declared = [declared] if isinstance(declared, str) else list(declared) if declared is not None else None
    if declared is None:
        numbers["type"] = "number"
    elif not {"number", "integer"} & set(declared):
        # No number here: every instance is valid against a range (false under not), unless the negated schema
        # also asks for a number, which none is (true under not).
        return rest if numbers_only else False
    else:
        numbers["type"] = [t for t in declared if t in ("number", "integer")]
    pieces: list[Any] = []
    # The gaps around the excluded ranges (sorted, disjoint or touching), each within the outer schema's bounds.
    gap_lo, gap_lo_x = None, False
    for lo, lo_x, hi, hi_x in ranges:
        if lo is not None:  # the gap below this range: up to lo (inclusive when the range excludes lo)
            top, top_x = _lower_of(own_hi, own_hi_x, lo, not lo_x)
            bottom, bottom_x = _higher_of(own_lo, own_lo_x, gap_lo, gap_lo_x)
            pieces.append(_ranged(numbers, bottom, bottom_x, top, top_x, boolean_exclusive))
        if hi is None:
            break
        gap_lo, gap_lo_x = hi, not hi_x
    else:
        bottom, bottom_x = _higher_of(own_lo, own_lo_x, gap_lo, gap_lo_x)
        pieces.append(_ranged(numbers, bottom, bottom_x, own_hi, own_hi_x, boolean_exclusive))
    if numbers_only:  # the negated schema rejects every non-number: they are valid here
        others = [t for t in (declared or sorted(ALL_TYPES)) if t not in ("number", "integer")]
        if others:
            pieces.append({**rest, "type": others})
    return {"anyOf": pieces} if pieces else False


def _excluded_ranges(negated: Any, number_bounds: Any) -> tuple[list[tuple[Any, bool, Any, bool]], bool] | None:
    """``(the number ranges the negated schema accepts, sorted; whether it rejects every non-number)``.

    None when it is neither a plain number range nor a ``const``/``enum`` of numbers only.
    """
    if not isinstance(negated, dict):
        return None
    keys = {k for k in negated if has_constraints({k: negated[k]})}
    if keys in ({"const"}, {"enum"}):
        values = [negated["const"]] if "const" in negated else list(negated["enum"])
        if not values or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            return None
        return [(v, False, v, False) for v in sorted(set(values))], True
    if not keys & _RANGE_KEYS or not keys <= _RANGE_KEYS | {"type"} or negated.get("type", "number") != "number":
        return None
    return [number_bounds(negated)], "type" in negated


def _lower_of(a: Any, a_x: bool, b: Any, b_x: bool) -> tuple[Any, bool]:
    """The tighter of two upper bounds (None: none; ``*_x``: exclusive)."""
    if a is None or (b is not None and (b < a or (b == a and b_x))):
        return b, b_x
    return a, a_x


def _higher_of(a: Any, a_x: bool, b: Any, b_x: bool) -> tuple[Any, bool]:
    """The tighter of two lower bounds (None: none; ``*_x``: exclusive)."""
    if a is None or (b is not None and (b > a or (b == a and b_x))):
        return b, b_x
    return a, a_x


def _ranged(base: dict, lo: Any, lo_x: bool, hi: Any, hi_x: bool, boolean_exclusive: bool) -> dict:
    """``base`` with the number range ``lo..hi`` (None: open; ``*_x``: exclusive) in the dialect's spelling."""
    out = dict(base)
    ends = ((lo, lo_x, "minimum", "exclusiveMinimum"), (hi, hi_x, "maximum", "exclusiveMaximum"))
    for bound, exclusive, plain, strict in ends:
        if bound is None:
            continue
        if not exclusive:
            out[plain] = bound
        elif boolean_exclusive:  # draft 4: the exclusive flag qualifies the plain bound
            out[plain], out[strict] = bound, True
        else:
            out[strict] = bound
    return out
