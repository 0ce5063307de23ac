"""``complement``: a schema valid for exactly the instances another schema rejects, where one can be written.

``oneOf`` keeps the instances valid against exactly one branch: branch ``i`` together with the complement of
every branch it may overlap (``one_of.py``, the last strategy). The complement is a disjunction, one piece per
way of failing: the wrong type, or the right type breaking one keyword. Each piece is a schema the lowering
builds exactly or refuses (``not`` of string keywords, number ranges and required keys: ``negation.py``):

- ``type``: every other type (for ``integer`` without ``number``, also the non-integer numbers: ``negation.py``);
- string keywords (lengths, ``pattern``): ``{type: string, not: {those keywords}}``;
- number ranges: ``{type: number, not: {the bounds}}``;
- ``required``: objects with one of the keys forbidden; ``properties``: an object holding one of them with a value in
  that property's complement; ``minItems``/``maxItems``/``minProperties``/``maxProperties``: the counts outside;
- ``items`` (one schema for every item): an array with an item in ``not items`` (``contains``);
- ``enum``/``const``: ``not`` of the values; ``anyOf``: every branch's complement (``allOf``); ``not X``: X.

- ``additionalProperties: false`` (no ``patternProperties``), when the instances' possible keys are known (``keys``:
  the caller conjoins the complement with a closed object): objects holding one of those keys it does not declare.

Any other keyword (``patternProperties``, ``oneOf``, ``format``, ...) has no complement here: None. Formats that
check nothing (unknown names, or ``formats="annotation"``) are left out like annotations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .formats import is_annotation_format, is_defined_format
from .merge import ALL_TYPES, has_constraints
from .negation import NON_INTEGER
from .refs import base_uri, enter

if TYPE_CHECKING:
    from .lower import Lowerer

_STRING_KEYS = ("minLength", "maxLength", "pattern")
_RANGE_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_COUNTS = {  # keyword -> (the type it counts, the keyword bounding the other side, the offset)
    "minItems": ("array", "maxItems", -1),
    "maxItems": ("array", "minItems", 1),
    "minProperties": ("object", "maxProperties", -1),
    "maxProperties": ("object", "minProperties", 1),
}
HANDLED = {"type", "enum", "const", "required", "properties", "items", "anyOf", "not", *_STRING_KEYS, *_RANGE_KEYS,
            *_COUNTS}  # fmt: skip  # the keywords a complement is written for


def complement(
    lw: Lowerer, schema: Any, res: Any, ptr: str, depth: int = 2, keys: frozenset[str] | None = None
) -> Any:
    """A schema valid for exactly the instances ``schema`` rejects (refs resolved from ``res``), or None.

    ``depth`` bounds how many levels of ``properties`` are looked into. ``keys``, when given, are all the keys the
    instances it will be conjoined with can hold (a closed object's): then ``additionalProperties: false`` has a
    complement too. The result refers to subschemas of ``schema``: it is meant to be lowered with the same resolver.
    """
    s, sres, _, _ = lw.expand(schema, ptr, enter(schema, res, lw.spec))
    if s is True or s is False:
        return not s
    if not isinstance(s, dict) or base_uri(sres) != base_uri(res):
        return None
    closed = keys is not None and s.get("additionalProperties") is False and "patternProperties" not in s
    used = [k for k in s if has_constraints({k: s[k]}) and not _checks_nothing(lw, k, s[k])]
    if any(k not in HANDLED and not (k == "additionalProperties" and closed) for k in used):
        return None
    declared = _declared(s)
    pieces: list[Any] = []
    if "type" in s:
        others = sorted(ALL_TYPES - declared - ({"number"} if "integer" in declared else set()))
        if others:
            pieces.append({"type": others})
        if "integer" in declared and "number" not in declared:
            pieces.append(NON_INTEGER)
    values = [s["const"]] if "const" in s else s.get("enum")
    if values is not None:
        listed = _by_type(values)
        if listed is None:
            return None
        # per type: the values of that type not listed (strings, numbers and literals negate exactly)
        for json_type in sorted(declared - {"integer"} if "number" in declared else declared):
            kept = listed.get("number" if json_type == "integer" else json_type)
            pieces.append({"type": json_type, "not": {"enum": kept}} if kept else {"type": json_type})
    for piece in _keyword_pieces(lw, s, declared, res, ptr, depth):
        if piece is None:
            return None
        pieces.append(piece)
    if closed and keys is not None and "object" in declared:  # objects holding a key it does not declare
        extra = sorted(keys - set(s.get("properties") or {}))
        pieces += [{"type": "object", "required": [name]} for name in extra]
    pieces = [p for p in pieces if p is not False]
    if not pieces:
        return False
    return pieces[0] if len(pieces) == 1 else {"anyOf": pieces}


def _keyword_pieces(lw: Lowerer, s: dict, declared: set[str], res: Any, ptr: str, depth: int) -> list[Any]:
    """One piece per keyword group of ``s`` (None where a keyword has no complement)."""
    out: list[Any] = []
    strings = {k: s[k] for k in _STRING_KEYS if k in s}
    if strings and "string" in declared:
        out.append({"type": "string", "not": {"type": "string", **strings}})
    bounds = {k: s[k] for k in _RANGE_KEYS if k in s}
    numbers = sorted(declared & {"number", "integer"})
    if bounds and numbers:
        out.append({"type": numbers, "not": {"type": "number", **bounds}})
    if "required" in s and "object" in declared and s["required"]:
        # objects missing one of the keys (a key forbidden is ``name: false``; no ``not`` left to combine)
        missing = [{"type": "object", "properties": {name: False}} for name in dict.fromkeys(s["required"])]
        out.append(missing[0] if len(missing) == 1 else {"anyOf": missing})
    for keyword, (json_type, other_side, offset) in _COUNTS.items():
        if keyword in s and json_type in declared:
            bound = int(s[keyword]) + offset
            out.append(False if bound < 0 else {"type": json_type, other_side: bound})
    if "properties" in s and "object" in declared:
        for name, sub in s["properties"].items():
            inverse = complement(lw, sub, res, f"{ptr}/properties/{name}", depth - 1) if depth > 0 else None
            out.append(inverse if inverse in (None, False) else
                       {"type": "object", "required": [name], "properties": {name: inverse}})  # fmt: skip
    if "items" in s and "array" in declared:
        items = s["items"]
        if not isinstance(items, dict | bool) or "prefixItems" in s or not _has_contains(lw):
            out.append(None)
        else:  # an array with an item the items schema rejects (``contains_node`` reads ``contains: {not: X}``)
            out.append(False if items is True else {"type": "array", "contains": {"not": items}})
    if "anyOf" in s:
        inverses = [complement(lw, b, res, f"{ptr}/anyOf/{i}", depth) for i, b in enumerate(s["anyOf"])]
        out.append(None if any(x is None for x in inverses) else {"allOf": inverses})
    if "not" in s:
        out.append(_typed(declared, s["not"]))
    return out


def _by_type(values: list[Any]) -> dict[str, list[Any]] | None:
    """Listed scalar values by JSON type (None when an object or array is listed: no complement written)."""
    out: dict[str, list[Any]] = {}
    for value in values:
        if value is None:
            out.setdefault("null", []).append(value)
        elif isinstance(value, bool):
            out.setdefault("boolean", []).append(value)
        elif isinstance(value, int | float):
            out.setdefault("number", []).append(value)
        elif isinstance(value, str):
            out.setdefault("string", []).append(value)
        else:
            return None
    return out


def _typed(declared: set[str], schema: Any) -> Any:
    """``schema`` restricted to the declared types (unchanged when every type is declared)."""
    if declared >= ALL_TYPES:
        return schema
    return {"allOf": [{"type": sorted(declared)}, schema]}


def _checks_nothing(lw: Lowerer, keyword: str, value: Any) -> bool:
    """A ``format`` the lowering treats as an annotation (unknown names, or formats not asserted)."""
    if keyword != "format":
        return False
    return not is_defined_format(value) or not lw.assert_formats or is_annotation_format(value)


def _has_contains(lw: Lowerer) -> bool:
    """Whether the dialect has ``contains`` (draft 6 on), which the validator then checks too."""
    dialect = str(lw.validator_cls.META_SCHEMA.get("$schema", ""))
    return "draft-03" not in dialect and "draft-04" not in dialect


def _declared(s: dict) -> set[str]:
    t = s.get("type")
    if t is None:
        return set(ALL_TYPES)
    return {t} if isinstance(t, str) else set(t)
