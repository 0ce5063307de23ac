"""Combining schemas: ``allOf`` merged into one schema, and the disjointness test that makes ``oneOf`` exact.

Merging only handles keywords whose conjunction is again one keyword (types intersect, bounds tighten,
``required`` unites, ``properties`` merge per name through a nested ``allOf``). Anything else raises
``CannotMerge`` and the caller refuses ``allOf``.
"""

from __future__ import annotations

from typing import Any

from .policy import ANNOTATION, POLICY, STRUCTURAL

ALL_TYPES = frozenset({"null", "boolean", "object", "array", "string", "number"})
_LOWER_BOUNDS = {"minimum", "minLength", "minItems", "minProperties", "minContains"}
_UPPER_BOUNDS = {"maximum", "maxLength", "maxItems", "maxProperties", "maxContains"}
# Keywords whose meaning depends on sibling keywords of the same schema object: merging them with a
# different sibling set would change what they mean.
_SIBLING_SENSITIVE = {"additionalProperties", "additionalItems", "items", "prefixItems", "unevaluatedProperties",
                      "unevaluatedItems", "patternProperties", "properties"}  # fmt: skip


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
    out = dict(a)
    sensitive_a = _SIBLING_SENSITIVE & set(a) - {"properties"}
    sensitive_b = _SIBLING_SENSITIVE & set(b) - {"properties"}
    for key in ("additionalProperties", "additionalItems"):  # these read their own siblings
        if key in a and a[key] is not True and ("properties" in b or "items" in b or "prefixItems" in b):
            raise CannotMerge(key)
        if key in b and b[key] is not True and ("properties" in a or "items" in a or "prefixItems" in a):
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
        elif key in ("$defs", "definitions"):
            out[key] = {**old, **value}
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
    return _declared(schema) or ALL_TYPES


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
