"""``if``/``then``/``else`` when the negation of ``if`` can be written exactly.

The instance is valid iff it is valid against ``if`` and ``then``, or against "not ``if``" and ``else``. The
schema becomes ``anyOf: [allOf(base, if, then), allOf(base, notIf_1, else), ...]`` where the ``notIf_i`` cover
exactly the instances ``if`` rejects:

- ``if`` made of type/enum/const/length/pattern/number-range keywords: ``{not: if}`` (``negation.py`` makes it
  exact or refuses);
- a discriminating property ``{properties: {p: S}, required?: [p], type?: object}``: objects with ``p``
  present and not valid against S (``{not: S}``), objects without ``p`` when ``p`` is required, and
  non-objects when ``type: object`` is given;
- any other ``if`` built from keywords ``complement.py`` can complement: ``{not: if}``, lowered through it.

Other ``if`` schemas are refused.
"""

from __future__ import annotations

from typing import Any

from constrained.errors import UnsupportedFeature

from .complement import HANDLED as COMPLEMENTED
from .merge import has_constraints

_SIMPLE = {"type", "enum", "const", "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum",
           "exclusiveMaximum"}  # fmt: skip


def _constraining(schema: dict) -> set[str]:
    return {k for k in schema if has_constraints({k: schema[k]})}


def _not_if(cond: Any, ptr: str) -> list[Any]:
    if cond is True or (isinstance(cond, dict) and not _constraining(cond)):
        return []  # every instance satisfies `if`
    if cond is False:
        return [True]
    keys = _constraining(cond)
    if keys <= _SIMPLE:
        return [{"not": cond}]
    props = cond.get("properties", {})
    required = cond.get("required", [])
    if keys <= {"properties", "required", "type"} and len(props) == 1 and cond.get("type", "object") == "object":
        ((name, sub),) = props.items()
        if set(required) <= {name}:
            out: list[Any] = [{"type": "object", "required": [name], "properties": {name: {"not": sub}}}]
            if required:
                out.append({"type": "object", "properties": {name: False}})
            if "type" in cond:
                out.append({"not": {"type": "object"}})
            return out
    if keys <= COMPLEMENTED:
        return [{"not": cond}]  # lowered through the written complement of ``cond`` (``complement.py``)
    raise UnsupportedFeature(
        "if",
        f"{ptr}/if",
        "only type/const/enum/string conditions or one discriminating property can be negated exactly",
    )


def split_conditional(schema: dict, ptr: str) -> dict:
    """An equivalent ``anyOf`` without ``if``/``then``/``else``.

    Raises:
        UnsupportedFeature: the ``if`` cannot be negated exactly.
    """
    base = {k: v for k, v in schema.items() if k not in ("if", "then", "else")}
    cond = schema["if"]
    then, other = schema.get("then", True), schema.get("else", True)
    negations = _not_if(cond, ptr)
    unevaluated = base.get("unevaluatedProperties", True)
    if (
        unevaluated is not True
        and unevaluated != {}
        and any(isinstance(n, dict) and "properties" in n for n in negations)
    ):
        # A failed `if` evaluates nothing, but the negation names the property: it would count as evaluated.
        raise UnsupportedFeature("if", f"{ptr}/if", "a property condition together with unevaluatedProperties")
    branches = [{"allOf": [base, cond, then]}]
    branches += [{"allOf": [base, n, other]} for n in negations]
    return {"anyOf": branches}
