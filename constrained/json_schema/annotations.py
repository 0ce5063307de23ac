"""Where ``unevaluatedProperties``/``unevaluatedItems`` would see evaluations the lowering does not model.

``unevaluated*`` depend on annotations: every property (item) that a *successful* subschema of the same object
evaluated counts, including those of an ``if`` that passed (with or without ``then``/``else``), of each
``dependentSchemas`` entry that applied and of every ``anyOf`` branch that matched, however many. The lowering
picks one path per instance (one ``anyOf`` branch, the conditional's split), so in those places it would reject
valid instances. Exactness over coverage: such combinations are refused, by name.
"""

from __future__ import annotations

from typing import Any

# Keywords through which a subschema may evaluate properties / items (applicators included: conservative).
_APPLICATORS = frozenset(
    {"allOf", "anyOf", "oneOf", "$ref", "$dynamicRef", "if", "then", "else", "dependentSchemas", "dependencies"}
)
EVALUATES = {
    "unevaluatedProperties": _APPLICATORS
    | {"properties", "patternProperties", "additionalProperties", "unevaluatedProperties"},
    "unevaluatedItems": _APPLICATORS | {"prefixItems", "items", "additionalItems", "contains", "unevaluatedItems"},
}


def restricting(schema: dict) -> list[str]:
    """The ``unevaluated*`` keywords of ``schema`` that restrict anything (not absent, ``true`` or ``{}``)."""
    return [k for k in EVALUATES if k in schema and schema[k] is not True and schema[k] != {}]


def may_evaluate(subschema: Any, keyword: str) -> bool:
    """Whether ``subschema`` may evaluate what ``keyword`` (an ``unevaluated*`` keyword) looks at."""
    return isinstance(subschema, dict) and any(k in subschema for k in EVALUATES[keyword])


def unmodelled_sources(schema: dict) -> list[tuple[str, str]]:
    """``(keyword, reason)`` for each ``unevaluated*`` of ``schema`` that sees evaluations the lowering drops.

    ``if`` with ``then``/``else`` and object conditions is handled (and checked) by ``conditional.py``; a bare
    ``if`` is not lowered at all, and conditional item evaluations are not modelled. ``anyOf`` is checked where its
    branches are lowered (``Lowerer._combinator``), as it needs the disjointness proof.
    """
    out = []
    for keyword in restricting(schema):
        if may_evaluate(schema.get("if"), keyword) and (
            keyword == "unevaluatedItems" or ("then" not in schema and "else" not in schema)
        ):
            out.append((keyword, "an 'if' that passes evaluates what it names: not modelled here"))
        elif keyword == "unevaluatedItems" and any(may_evaluate(schema.get(k), keyword) for k in ("then", "else")):
            out.append((keyword, "items evaluated by 'then'/'else' are not modelled here"))
        deps = {**_dict(schema.get("dependencies")), **_dict(schema.get("dependentSchemas"))}
        if keyword == "unevaluatedProperties" and any(may_evaluate(s, keyword) for s in deps.values()):
            out.append((keyword, "properties evaluated by dependent schemas that apply are not modelled here"))
    return out


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}
