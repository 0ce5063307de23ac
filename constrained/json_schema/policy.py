"""The one table of keyword decisions, draft-04 through 2020-12 spellings.

Every keyword the lowering knows is listed with what happens to it:

- ``enforced``: compiled exactly (possibly stricter, e.g. property order, ``integer`` without ``1.0``);
- ``bounded``: enforced with a documented bound that is stricter than the schema (none by default: nesting
  and recursion are exact grammar rules unless ``exact_recursion=False``);
- ``structural``: consumed by reference resolution or merging, no constraint of its own;
- ``annotation``: has no effect on validity; ignored;
- ``refused``: raises ``UnsupportedFeature`` (or, with ``lenient=True``, is dropped and reported), but only
  when the keyword can matter: ``applies_to`` names the instance types it constrains, and ``allowed`` lists
  values under which it constrains nothing (``uniqueItems: false``, ``minProperties: 0``).

Keywords absent from the table are unknown to every draft and ignored, as validators ignore them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ENFORCED, BOUNDED, STRUCTURAL, ANNOTATION, REFUSED = "enforced", "bounded", "structural", "annotation", "refused"

_ANY = None  # applies to every instance type


@dataclass(frozen=True)
class Policy:
    """What the lowering does with one keyword."""

    kind: str
    applies_to: frozenset[str] | None = _ANY
    note: str = ""
    allowed: tuple[Any, ...] = ()


def _t(*types: str) -> frozenset[str]:
    return frozenset(types)


_OBJ, _ARR, _STR, _NUM = _t("object"), _t("array"), _t("string"), _t("number", "integer")

POLICY: dict[str, Policy] = {
    # core / structure
    "type": Policy(ENFORCED),
    "enum": Policy(ENFORCED, note="values kept when valid against the whole schema"),
    "const": Policy(ENFORCED),
    "anyOf": Policy(ENFORCED),
    "oneOf": Policy(ENFORCED, note="plain union when branches are provably disjoint; else each branch is made "
                    "disjoint from the others (one_of.py: free types dropped, exact; a tag required or another "
                    "branch's required key forbidden, stricter); else refused"),
    # "not": see below; "not {required: [...]}" is exact too (objects missing one of the keys)
    "allOf": Policy(ENFORCED, note="merged into one schema when keywords combine simply, else refused"),
    "$ref": Policy(ENFORCED, note="local refs inlined; recursion becomes a grammar rule (exact_recursion=True, "
                   "default), else unrolled to max_ref_depth; recursion through merged siblings keeps that bound"),
    "$defs": Policy(STRUCTURAL),
    "definitions": Policy(STRUCTURAL),
    "$id": Policy(STRUCTURAL),
    "id": Policy(STRUCTURAL),
    "$anchor": Policy(STRUCTURAL),
    "$dynamicAnchor": Policy(STRUCTURAL, note="where a $dynamicRef may land"),
    "$recursiveAnchor": Policy(STRUCTURAL),
    "$schema": Policy(ANNOTATION),
    "$vocabulary": Policy(ANNOTATION),
    "$comment": Policy(ANNOTATION),
    "$dynamicRef": Policy(STRUCTURAL, note="resolved in the dynamic scope of the lowering (the validator's), "
                          "which the reference memo and recursion keys include"),
    "$recursiveRef": Policy(STRUCTURAL, note="draft 2019-09: resolved like $dynamicRef"),
    "not": Policy(ENFORCED, note="type-level, exact string/null/boolean sub-schemas via DFA difference, "
                  "required keys, number ranges or listed numbers; else refused (negation.py)"),
    "if": Policy(ENFORCED, note="when 'not if' is exact: simple conditions or one discriminating property "
                 "(conditional.py), else refused"),
    "then": Policy(STRUCTURAL, note="only acts together with 'if'"),
    "else": Policy(STRUCTURAL, note="only acts together with 'if'"),
    # annotations
    **{
        k: Policy(ANNOTATION)
        for k in (
            "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly",
            "contentMediaType", "contentEncoding", "contentSchema",
        )
    },  # fmt: skip
    # objects
    "properties": Policy(ENFORCED, _OBJ, "schema order by default; property_order='any': any order (up to 8 "
                         "declared properties in the automaton, more as a member loop whose keys are checked while "
                         "generating, key_plan.py); objects with min/maxProperties, and wide ones the check cannot "
                         "tell from other objects at their place, keep schema order and are reported in 'bounded'"),
    "required": Policy(ENFORCED, _OBJ),
    "additionalProperties": Policy(
        ENFORCED, _OBJ, "extra keys only after declared ones; absent means any value (a grammar rule, exact; "
        "bounded to any_depth when exact_recursion=False)"
    ),
    "patternProperties": Policy(
        ENFORCED, _OBJ, "keys split by the patterns they match, each valid against all of their schemas "
        "(at most 16 key regions), else refused"
    ),
    "propertyNames": Policy(ENFORCED, _OBJ, "regular name schemas; declared names checked by the validator"),
    "minProperties": Policy(ENFORCED, _OBJ, "member counter (property_count.py); refused above 64 with extras"),
    "maxProperties": Policy(ENFORCED, _OBJ, "member counter (property_count.py); refused above 64 with extras"),
    "dependentRequired": Policy(ENFORCED, _OBJ, "one variant per trigger presence (dependencies.py), <= 4 triggers"),
    "dependentSchemas": Policy(ENFORCED, _OBJ, "one variant per trigger presence, merged through allOf"),
    "dependencies": Policy(ENFORCED, _OBJ, "draft-7 spelling of both"),
    "unevaluatedProperties": Policy(ENFORCED, _OBJ, "as additionalProperties after $ref/allOf merging; per "
                                    "anyOf/oneOf branch (stricter)"),
    # arrays
    "items": Policy(ENFORCED, _ARR),
    "prefixItems": Policy(ENFORCED, _ARR),
    "additionalItems": Policy(ENFORCED, _ARR, "draft 2019-09 and older, with array-form items"),
    "minItems": Policy(ENFORCED, _ARR),
    "maxItems": Policy(ENFORCED, _ARR),
    "uniqueItems": Policy(ENFORCED, _ARR, "item domains of at most 6 listed values by construction (unique.py); "
                          "others checked while generating (unique_plan.py) where every array at that instance "
                          "place is unique and the items are regular, any value or open objects (items holding "
                          "recursion or any value deeper down get depth bounds, reported); refused with "
                          "positional items, contains, inside recursion"),
    "contains": Policy(ENFORCED, _ARR, "count of matching items; not with positional items or item counts "
                       "it does not imply (contains.py)"),
    "minContains": Policy(ENFORCED, _ARR, "only acts together with 'contains'"),
    "maxContains": Policy(ENFORCED, _ARR, "only acts together with 'contains'"),
    "unevaluatedItems": Policy(ENFORCED, _ARR, "as items after the positional ones when no items; refused "
                               "with contains"),
    # strings
    "minLength": Policy(ENFORCED, _STR, "escape sequences count as one character"),
    "maxLength": Policy(ENFORCED, _STR, "escape sequences count as one character"),
    "pattern": Policy(ENFORCED, _STR, "ECMA-262 search semantics; format/length intersected by DFA product "
                      "(refused past the product budget)"),
    "format": Policy(ENFORCED, _STR, "asserted (formats='annotation': none); see formats.py for the accepted subset "
                     "(OpenAPI byte/binary/password included; 'regex': a core of the syntax, groups nested 3 deep); "
                     "names no specification defines are annotations, listed in describe()['ignored']"),
    # numbers
    "minimum": Policy(ENFORCED, _NUM, "bounded numbers are written without exponent"),
    "maximum": Policy(ENFORCED, _NUM),
    "exclusiveMinimum": Policy(ENFORCED, _NUM, "number (draft 6+) or boolean (draft 4)"),
    "exclusiveMaximum": Policy(ENFORCED, _NUM, "number (draft 6+) or boolean (draft 4)"),
    "multipleOf": Policy(ENFORCED, _NUM, "steps a/10^k with a up to numbers.MAX_STEP and k up to MAX_SCALE, in "
                         "exact decimals (a remainder automaton, any bounds); texts without exponent"),
}


def refusals(schema: dict, types: set[str]) -> list[tuple[str, str]]:
    """Keywords of ``schema`` that are refused for an instance of one of ``types``, with the reason."""
    out = []
    for key, value in schema.items():
        pol = POLICY.get(key)
        if pol is None or pol.kind != REFUSED:
            continue
        if pol.applies_to is not None and not (pol.applies_to & types):
            continue
        if any(value == ok and type(value) is type(ok) for ok in pol.allowed):
            continue
        out.append((key, pol.note or f"{key!r} is not supported"))
    return out
