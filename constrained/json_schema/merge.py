"""Combining schemas: ``allOf`` merged into one schema, and the disjointness test that makes ``oneOf`` exact.

Merging only handles keywords whose conjunction is again one keyword (types intersect, bounds tighten,
``required`` unites, ``properties`` merge per name through a nested ``allOf``, integer ``multipleOf``s become
their least common multiple). Anything else raises
``CannotMerge`` and the caller refuses ``allOf``.
"""

from __future__ import annotations

import math
from typing import Any

from .numbers import MAX_STEP
from .policy import ANNOTATION, POLICY, STRUCTURAL

ALL_TYPES = frozenset({"null", "boolean", "object", "array", "string", "number"})
_LOWER_BOUNDS = {"minimum", "minLength", "minItems", "minProperties", "minContains"}
_UPPER_BOUNDS = {"maximum", "maxLength", "maxItems", "maxProperties", "maxContains"}
# Keywords whose meaning depends on sibling keywords of the same schema object: merging them with a
# different sibling set would change what they mean.
_SIBLING_SENSITIVE = {"additionalProperties", "additionalItems", "items", "prefixItems", "unevaluatedProperties",
                      "unevaluatedItems", "patternProperties", "properties"}  # fmt: skip


_EVALUATING = {
    "unevaluatedProperties": ("properties", "patternProperties", "additionalProperties", "unevaluatedProperties"),
    "unevaluatedItems": ("prefixItems", "items", "additionalItems", "contains", "unevaluatedItems"),
}


MAX_ANY_OF_PRODUCT = 32


class CannotMerge(Exception):
    """Two schemas whose conjunction is not a simple schema; ``args[0]`` names the keyword."""


def has_constraints(schema: Any) -> bool:
    """Whether ``schema`` constrains anything (False for ``true``, ``{}`` and annotation-only objects)."""
    if schema is True:
        return False
    if schema is False:
        return True
    return any(POLICY.get(k) is not None and POLICY[k].kind not in (ANNOTATION, STRUCTURAL) for k in schema)


def _types(schema: dict) -> set[str] | None:
    t = schema.get("type")
    if t is None:
        return None
    return {t} if isinstance(t, str) else set(t)


def _merge_types(a: set[str], b: set[str]) -> list[str]:
    out = (a & b) | ({"integer"} if ("integer" in a and "number" in b) or ("number" in a and "integer" in b) else set())
    return sorted(out)


def merge(a: Any, b: Any) -> Any:
    """The conjunction of two (already ref-expanded) schemas as one schema.

    Raises:
        CannotMerge: when the conjunction cannot be written as one schema by these rules.
    """
    if a is False or b is False:
        return False
    if a is True:
        return b
    if b is True:
        return a
    # ``then``/``else`` without an ``if`` beside them do nothing; merged next to another schema's ``if`` they would.
    a, b = _without_lone_branches(a), _without_lone_branches(b)
    if "if" in a and "if" in b:  # two conditionals: each becomes its anyOf of variants, then they distribute
        a, b = _without_if(a), _without_if(b)
    a, b = _without_inert_keys(a), _without_inert_keys(b)
    if not _aligned(a, b):  # patternProperties: fold one side's key constraints into the other where exact
        a, b = _fold_keys(a, b)
        b, a = _fold_keys(b, a)
    a, b = _align_additional(a, b), _align_additional(b, a)
    aligned = "additionalProperties" if _aligned(a, b) else ""
    out = dict(a)
    sensitive_a = _SIBLING_SENSITIVE & set(a) - {"properties", aligned}
    sensitive_b = _SIBLING_SENSITIVE & set(b) - {"properties", aligned}
    for key in ("additionalProperties", "additionalItems"):  # these read their own siblings
        if key == aligned:
            continue
        if key in a and a[key] is not True and ("properties" in b or "items" in b or "prefixItems" in b):
            raise CannotMerge(key)
        if key in b and b[key] is not True and ("properties" in a or "items" in a or "prefixItems" in a):
            raise CannotMerge(key)
    for key, evaluating in _EVALUATING.items():  # unevaluated* in a subschema do not see its siblings' keywords
        for x, y in ((a, b), (b, a)):
            if key in x and x[key] is not True and x[key] != {} and any(e in y for e in evaluating):
                raise CannotMerge(key)
    if ("prefixItems" in a and "items" in b) or ("prefixItems" in b and "items" in a):
        raise CannotMerge("prefixItems")  # items would start at a different index
    if sensitive_a & sensitive_b - {"items"}:
        raise CannotMerge(sorted(sensitive_a & sensitive_b)[0])
    for key, value in b.items():
        if key not in out or out[key] == value:
            out[key] = value
            continue
        pol = POLICY.get(key)
        if pol is None or pol.kind == ANNOTATION:
            continue  # unknown keywords and annotations do not constrain: keep either
        old = out[key]
        if key == "type":
            out[key] = _merge_types(_types(a) or set(), _types(b) or set())
        elif key == "required":
            out[key] = list(dict.fromkeys([*old, *value]))
        elif key == "properties":
            out[key] = {**old, **{n: ({"allOf": [old[n], s]} if n in old else s) for n, s in value.items()}}
        elif key == "items" and isinstance(old, dict | bool) and isinstance(value, dict | bool):
            if "prefixItems" in a or "prefixItems" in b:
                raise CannotMerge("items")
            out[key] = {"allOf": [old, value]}
        elif key in _LOWER_BOUNDS and not isinstance(value, bool) and not isinstance(old, bool):
            out[key] = max(old, value)
        elif key in _UPPER_BOUNDS and not isinstance(value, bool) and not isinstance(old, bool):
            out[key] = min(old, value)
        elif key == "multipleOf" and all(_whole(v) for v in (old, value)) and lcm(old, value) <= MAX_STEP:
            # A multiple of both integers is a multiple of their lcm (kept only where the number lowering builds
            # it for any range, so a refusal still names the allOf the user wrote).
            out[key] = lcm(old, value)
        elif key in ("$defs", "definitions"):
            out[key] = {**old, **value}
        elif key == "not":
            out[key] = {"anyOf": [old, value]}  # not A and not B = not (A or B)
        elif key == aligned:
            out[key] = {"allOf": [old, value]}
        elif key == "enum":  # values in both lists (JSON equality: 1 == 1.0, true != 1)
            out[key] = [v for v in old if any(_json_equal(v, w) for w in value)]
        elif key == "const":
            if not _json_equal(old, value):
                out["enum"] = []  # nothing satisfies both
        elif key == "anyOf" and len(old) * len(value) <= MAX_ANY_OF_PRODUCT:
            out[key] = [{"allOf": [x, y]} for x in old for y in value]  # (A1|A2) & (B1|B2): every pairing
        elif key == "oneOf" and isinstance(old, list) and isinstance(value, list):
            # Exactly one of A and exactly one of B: exactly one of (Ai and oneOf B). When oneOf B fails no
            # branch holds; when it holds, the count is A's.
            out[key] = [{"allOf": [x, {"oneOf": value}]} for x in old]
        else:
            raise CannotMerge(key)
    return out


def types_of(schema: Any) -> frozenset[str]:
    """The JSON types an instance of ``schema`` may have (``integer`` counted as ``number``), over-approximated."""
    if schema is False:
        return frozenset()
    if schema is True:
        return ALL_TYPES
    if "const" in schema or "enum" in schema:
        values = [schema["const"]] if "const" in schema else schema["enum"]
        return frozenset(_type_of(v) for v in values) & (_declared(schema) or ALL_TYPES)
    out = _declared(schema) or ALL_TYPES
    for key in ("anyOf", "oneOf"):  # an instance is valid against one of the branches, so has one of their types
        if isinstance(schema.get(key), list):
            out &= frozenset().union(*(types_of(b) for b in schema[key]))
    return out


def _declared(schema: dict) -> frozenset[str] | None:
    t = _types(schema)
    if t is None:
        return None
    return frozenset("number" if x == "integer" else x for x in t)


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def localize_unevaluated(part: Any) -> Any:
    """A branch's own ``unevaluated*: false`` rewritten so it can merge with its siblings.

    Inside an ``allOf`` branch these keywords see only the branch's evaluations (the branch is already
    ``$ref``/``allOf``-expanded, so those are its ``properties``/``patternProperties``/``prefixItems``), not
    its siblings'. ``unevaluatedProperties: false`` then means "every key is one of the branch's names or
    patterns" (a ``propertyNames``), and ``unevaluatedItems: false`` means "no more items than the branch's
    ``prefixItems``" (a ``maxItems``). Other forms stay and are refused by ``merge``.
    """
    if not isinstance(part, dict):
        return part
    out = {k: v for k, v in part.items() if not (k.startswith("unevaluated") and (v is True or v == {}))}
    if out.get("unevaluatedProperties") is False and "propertyNames" not in out:
        del out["unevaluatedProperties"]
        if "additionalProperties" not in out:  # with it, every key is evaluated already
            names: list[Any] = [{"enum": list(out.get("properties", {}))}]
            names += [{"pattern": p} for p in out.get("patternProperties", {})]
            out["propertyNames"] = {"anyOf": names} if len(names) > 1 else names[0]
    if out.get("unevaluatedItems") is False and "contains" not in out:
        del out["unevaluatedItems"]
        if "items" not in out or out.get("items") is False:
            count = len(out.get("prefixItems", []))
            out["maxItems"] = min(count, out.get("maxItems", count))
    return out


def _without_lone_branches(schema: dict) -> dict:
    """``schema`` without ``then``/``else`` when it has no ``if`` (they apply nothing there)."""
    if "if" in schema or ("then" not in schema and "else" not in schema):
        return schema
    return {k: v for k, v in schema.items() if k not in ("then", "else")}


def _without_if(schema: dict) -> dict:
    """``schema`` with its ``if``/``then``/``else`` rewritten as an ``anyOf`` (see ``conditional.py``)."""
    from constrained.errors import UnsupportedFeature

    from .conditional import split_conditional

    if "then" not in schema and "else" not in schema:
        return {k: v for k, v in schema.items() if k != "if"}  # a lone `if` constrains nothing
    try:
        return split_conditional(schema, "")
    except UnsupportedFeature as exc:
        raise CannotMerge("if") from exc


def _props(schema: dict) -> dict:
    props = schema.get("properties", {})
    return props if isinstance(props, dict) else {}


def _align_additional(x: dict, y: dict) -> dict:
    """``x`` with the names only ``y`` declares added to its ``properties`` under its ``additionalProperties``.

    Exact: those keys were governed by ``x``'s ``additionalProperties`` and still are, now by name, so both
    sides declare the same names and their ``additionalProperties`` govern the same remaining keys.
    """
    extra = x.get("additionalProperties", True)
    if extra is True or extra == {} or "patternProperties" in x or "patternProperties" in y:
        return x
    missing = [k for k in _props(y) if k not in _props(x)]
    if not missing:
        return x
    return {**x, "properties": {**_props(x), **{k: extra for k in missing}}}


def _inert(schema: Any) -> bool:
    """``true``, ``{}`` or annotations only (a nested ``$ref`` is not expanded here, so it counts as a constraint)."""
    return schema is True or (
        isinstance(schema, dict) and all(POLICY.get(k) is not None and POLICY[k].kind == ANNOTATION for k in schema)
    )


def _without_inert_keys(x: dict) -> dict:
    """``x`` with ``patternProperties`` dropped when empty, or when they and ``additionalProperties`` constrain no key.

    ``additionalProperties: true`` stays: it still evaluates every key not declared, which an
    ``unevaluatedProperties`` applied around the merged schema counts.
    """
    patterns = x.get("patternProperties")
    if patterns == {}:  # evaluates no key
        return {k: v for k, v in x.items() if k != "patternProperties"}
    if "additionalProperties" not in x or not isinstance(patterns, dict) or "unevaluatedProperties" in x:
        return x
    if not _inert(x["additionalProperties"]) or not all(_inert(s) for s in patterns.values()):
        return x
    kept = {k: v for k, v in x.items() if k != "patternProperties"}
    kept["additionalProperties"] = True
    return kept


def _both(first: Any, second: Any) -> Any:
    if first is True or first == {}:
        return second
    if second is True or second == {}:
        return first
    return {"allOf": [first, second]}


def _fold_keys(x: dict, y: dict) -> tuple[dict, dict]:
    """``(x, y)`` with ``y``'s per-key constraints moved into ``x`` where that is exact, else unchanged.

    Two cases: ``y`` governs every key by ``additionalProperties`` alone (no properties, no patterns): it joins
    each of ``x``'s properties, patterns and additional properties. Or ``y`` constrains only the keys it declares
    (no patterns, no ``additionalProperties``): each joins ``x`` by name with what ``x`` says of that key (its
    property, else the patterns it matches, else its ``additionalProperties``). Either way the merged schema
    evaluates the same keys, for an ``unevaluatedProperties`` around it.
    """
    if "unevaluatedProperties" in x or "unevaluatedProperties" in y:
        return x, y
    extra = y.get("additionalProperties", True)
    if "additionalProperties" in y and "properties" not in y and "patternProperties" not in y:
        folded = dict(x)
        if "properties" in x:
            folded["properties"] = {k: _both(v, extra) for k, v in _props(x).items()}
        if isinstance(x.get("patternProperties"), dict):
            folded["patternProperties"] = {p: _both(s, extra) for p, s in x["patternProperties"].items()}
        folded["additionalProperties"] = _both(x.get("additionalProperties", True), extra)
        return folded, {k: v for k, v in y.items() if k != "additionalProperties"}
    if "patternProperties" in y or "additionalProperties" in y or not _props(y):  # (true would still evaluate keys)
        return x, y
    declared = {}
    for name, sub in _props(y).items():
        governing = _governing(x, name)
        if governing is None:
            return x, y
        declared[name] = _both(governing, sub)
    folded = {**x, "properties": {**_props(x), **declared}}
    return folded, {k: v for k, v in y.items() if k != "properties"}


def _governing(x: dict, name: str) -> Any:
    """What ``x`` requires of the value under key ``name`` (None: a pattern that cannot be read)."""
    from constrained.errors import ConstraintError

    from .scalars import parse_key_pattern
    from .strings import node_matches

    if name in _props(x):
        return _props(x)[name]
    matching = []
    for pattern, sub in (x.get("patternProperties") or {}).items():
        try:
            if node_matches(parse_key_pattern(pattern, ""), name):
                matching.append(sub)
        except ConstraintError:
            return None
    if matching:
        return matching[0] if len(matching) == 1 else {"allOf": matching}
    return x.get("additionalProperties", True)


def _aligned(a: dict, b: dict) -> bool:
    """Whether both sides' ``additionalProperties`` govern the same keys (so they simply conjoin)."""
    if "patternProperties" in a or "patternProperties" in b:
        return False
    for x, y in ((a, b), (b, a)):
        extra = x.get("additionalProperties", True)
        if extra is not True and extra != {} and not set(_props(y)) <= set(_props(x)):
            return False
    return True


def _json_equal(a: Any, b: Any) -> bool:
    """JSON Schema equality (numbers by value, booleans apart from numbers, containers element-wise)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b)


def _whole(value: Any) -> bool:
    """Whether ``value`` is a positive integer-valued number (not a boolean)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0 and float(value).is_integer()


def lcm(a: Any, b: Any) -> int:
    """The least common multiple of two integer-valued numbers."""
    return math.lcm(int(a), int(b))


