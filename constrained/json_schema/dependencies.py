"""``dependentRequired`` / ``dependentSchemas`` / draft-7 ``dependencies``: one variant per presence pattern.

For trigger keys k1..km the object is split by which triggers are present: an absent trigger becomes
``properties: {k: false}`` (the key must not appear), a present one becomes ``required: [k, ...its
dependencies]`` plus its dependent schema through ``allOf``. The variants are disjoint and their ``anyOf`` is
exactly the original schema; non-object instances satisfy every variant alike. Exponential in m, so at most
``MAX_TRIGGERS`` triggers are split (more are refused).
"""

from __future__ import annotations

from itertools import product
from typing import Any

from constrained.errors import UnsupportedFeature

MAX_TRIGGERS = 4
KEYWORDS = ("dependentRequired", "dependentSchemas", "dependencies")


def has_dependencies(schema: dict) -> bool:
    """Whether ``schema`` has a non-empty dependency keyword."""
    return any(schema.get(k) for k in KEYWORDS)


def split_dependencies(schema: dict, ptr: str) -> dict:
    """An ``anyOf`` of dependency-free variants equivalent to ``schema``.

    Raises:
        UnsupportedFeature: more than ``MAX_TRIGGERS`` trigger keys.
    """
    required: dict[str, list[str]] = {}
    schemas: dict[str, Any] = {}
    for keyword in KEYWORDS:
        for key, value in (schema.get(keyword) or {}).items():
            if isinstance(value, list):
                required.setdefault(key, []).extend(value)
            else:
                schemas[key] = value
    triggers = list(dict.fromkeys([*required, *schemas]))
    if len(triggers) > MAX_TRIGGERS:
        raise UnsupportedFeature(KEYWORDS[0], ptr, f"more than {MAX_TRIGGERS} trigger keys")
    base = {k: v for k, v in schema.items() if k not in KEYWORDS}
    variants = []
    for present in product((False, True), repeat=len(triggers)):
        variant = dict(base)
        props = dict(variant.get("properties", {}))
        needed = list(variant.get("required", []))
        extra: list[Any] = []
        for key, on in zip(triggers, present, strict=True):
            if on:
                needed += [key, *required.get(key, [])]
                if key not in props and "patternProperties" not in base:  # declared here, so it comes first
                    props[key] = base.get("additionalProperties", base.get("unevaluatedProperties", True))
                if key in schemas:
                    extra.append(schemas[key])
            else:
                props[key] = False
        variant["properties"] = props
        variant["required"] = list(dict.fromkeys(needed))
        if extra:
            variant = {"allOf": [variant, *extra]}
        variants.append(variant)
    return {"anyOf": variants}
