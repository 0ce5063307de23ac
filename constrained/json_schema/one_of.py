"""``oneOf`` whose branches overlap: made disjoint by construction, exactly where possible, else stricter.

``oneOf`` is the union of its branches minus every instance valid against two of them. Subtracting languages
is unsound here (a lowering is a subset of its branch's valid texts: property order, number spellings), so
instead each branch is *strengthened* until the existing disjointness proof (``Lowerer._pair_disjoint``)
shows it disjoint from every other *original* branch; the union of strengthened branches then only holds
instances valid against exactly one branch.

Strengthenings, tried in this order:

1. **Free types (exact).** When two branches admit every instance of a JSON type (no keyword of theirs
   applies to it: ``oneOf: [{required: [a]}, {required: [b]}]`` and the number ``1``), all those instances
   are valid against both, so invalid: the type is removed from every branch. Nothing valid is lost.
2. **Discriminating property (stricter).** A property declared by both branches with provably disjoint
   subschemas (a tag such as ``kind: {const: "circle"}`` vs ``{const: "square"}``) becomes required in the
   branch being strengthened. Objects without the tag are no longer produced.
3. **Exclusive keys (stricter).** A key that another branch requires and this one does not declare is
   forbidden here (``{required: [delete]}`` vs ``{required: [insert]}``: the first never has ``insert``).
4. **Strings apart (exact).** When two branches overlap only on strings and the other one's strings are known
   exactly (``negation.exact_string_part``: lengths, pattern, string enums), this branch is given
   ``not: <the other's strings>``: ``oneOf: [{pattern: "^[a-f0-9]+$"}, {pattern: "^[A-F0-9]+$"}]`` keeps the
   strings of exactly one case.
5. **Not empty (exact when the empty value is valid against both).** Closed objects whose allowed keys do not
   meet share only ``{}``, arrays with disjoint ``items`` only ``[]``: this branch then needs one property /
   item (``{key}`` vs ``{keys}`` with ``additionalProperties: false``; arrays of numbers vs of strings).

6. **Complements (exact).** Otherwise each branch is given the complement of every branch it overlaps
   (``complement.py``): ``oneOf: [{type: string}, {maxLength: 3}]`` keeps the strings longer than 3 and every
   non-string (valid against ``maxLength`` only). Where a complement cannot be written, or its lowering
   refuses, ``oneOf`` is refused.

Anything else stays "not provably disjoint" and ``oneOf`` is refused, as before. A stricter strengthening is
reported (the ``oneOf`` pointer is listed in ``bounded``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .complement import complement
from .negation import exact_string_part
from .policy import ANNOTATION, POLICY, STRUCTURAL
from .refs import base_uri

if TYPE_CHECKING:
    from .lower import Lowerer

_JSON_TYPES = ("null", "boolean", "object", "array", "string", "number")


def separate_branches(
    lw: Lowerer, expanded: list[tuple[Any, Any]], allowed: frozenset[str]
) -> tuple[list[Any], bool, bool] | None:
    """Strengthened copies of the branches, each provably disjoint from every other *original* branch, or None.

    Disjointness from the original branches (not from their strengthened copies) is what makes the union
    exact-or-stricter: an instance admitted by copy ``i`` is valid against branch ``i`` and against no other.

    Args:
        lw: the lowerer (its disjointness proof and validator).
        expanded: ``(schema, resolver)`` of every branch after ``Lowerer.expand``.
        allowed: the types the ``oneOf``'s siblings admit.

    Returns:
        ``(branches, stricter, complemented)``: ``stricter`` when a strengthening may drop valid instances;
        ``complemented`` when the branches carry complements (strategy 6), whose lowering may still refuse.
    """
    out = []
    stricter = False
    for i, (original, res) in enumerate(expanded):
        branch = _drop_free_types(original, expanded)
        for j, (other, ores) in enumerate(expanded):
            if j == i or lw._pair_disjoint(branch, res, other, ores, allowed=allowed):  # noqa: SLF001 - its own proof
                continue
            exact = _non_empty(lw, branch, res, other, ores, allowed)
            if exact is not None:
                branch = exact
                continue
            branch = _with_tag(lw, branch, res, other, ores, allowed) or _without_key(
                lw, branch, res, other, ores, allowed
            )
            if branch is None:
                apart = _strings_apart(lw, expanded, allowed)
                if apart is not None:
                    return apart, False, False
                complemented = _complemented(lw, expanded, allowed)
                return None if complemented is None else (complemented, False, True)
            stricter = True
        out.append(branch)
    return out, stricter, False


def _complemented(lw: Lowerer, expanded: list[tuple[Any, Any]], allowed: frozenset[str]) -> list[Any] | None:
    """Every branch together with the complement of each branch it may overlap (strategy 6), or None.

    Exact: an instance of branch ``i`` valid against no other branch is what ``oneOf`` keeps from it. The
    complements are schemas the lowering builds exactly or refuses (``complement.py``); the caller turns such
    a refusal into the ``oneOf`` one.
    """
    out = []
    for i, (original, res) in enumerate(expanded):
        branch = _drop_free_types(original, expanded)
        parts = [branch]
        keys = _closed_keys(lw, branch, res)
        for j, (other, ores) in enumerate(expanded):
            if j == i or lw._pair_disjoint(branch, res, other, ores, allowed=allowed):  # noqa: SLF001
                continue
            if base_uri(ores) != base_uri(res):
                return None
            inverse = complement(lw, other, ores, "", keys=keys)
            if inverse is None:
                return None
            parts.append(inverse)
        out.append(parts[0] if len(parts) == 1 else {"allOf": parts})
    return out


def _closed_keys(lw: Lowerer, branch: Any, res: Any) -> frozenset[str] | None:
    """The keys an object valid against ``branch`` can hold, when it is a closed object (else None)."""
    s, _, _, _ = lw.expand(branch, "", res)
    if not isinstance(s, dict) or s.get("additionalProperties") is not False or "patternProperties" in s:
        return None
    return frozenset(s.get("properties") or {})


def _strings_apart(lw: Lowerer, expanded: list[tuple[Any, Any]], allowed: frozenset[str]) -> list[Any] | None:
    """Every branch minus the strings valid against the branches it overlaps (strategy 4).

    None when some pair overlaps beyond strings, or on strings not known exactly.
    """
    out = []
    for i, (original, res) in enumerate(expanded):
        branch = _drop_free_types(original, expanded)
        removed = []
        for j, (other, ores) in enumerate(expanded):
            if j == i or lw._pair_disjoint(branch, res, other, ores, allowed=allowed):  # noqa: SLF001
                continue
            strings = exact_string_part(other)
            if strings is None or not lw._pair_disjoint(branch, res, other, ores, allowed=allowed - {"string"}):  # noqa: SLF001
                return None
            removed.append(strings)
        out.append(_without_strings(branch, removed) if removed else branch)
    return out


def _without_strings(schema: Any, removed: list[dict]) -> Any:
    """``schema`` also rejecting every string valid against one of ``removed`` (not A and not B = not (A or B))."""
    if schema is False:
        return False
    base = {} if schema is True else schema
    negated = [base["not"], *removed] if "not" in base else removed
    return {**base, "not": {"anyOf": negated}}


def _non_empty(lw: Lowerer, a: Any, ares: Any, b: Any, bres: Any, allowed: frozenset[str]) -> Any:
    """``a`` needing one property (or item), when that proves it disjoint from ``b`` (strategy 5).

    Exact: it drops only the empty value (``{}`` or ``[]``), and only when that is valid against ``b`` too,
    so invalid under ``oneOf``.
    """
    if not isinstance(a, dict) or not isinstance(b, dict):
        return None
    for keyword, empty in (("minProperties", {}), ("minItems", [])):
        narrowed = {**a, keyword: max(1, a.get(keyword, 0))}
        if not lw._pair_disjoint(narrowed, ares, b, bres, allowed=allowed):  # noqa: SLF001
            continue
        try:
            if not lw.valid(empty, a, ares) or lw.valid(empty, b, bres):
                return narrowed
        except Exception:  # noqa: BLE001 - undecidable here: not shown exact
            return None
    return None


def _drop_free_types(schema: Any, expanded: list[tuple[Any, Any]]) -> Any:
    """``schema`` without the types that at least two branches admit unconstrained (exact)."""
    doomed = {t for t in _JSON_TYPES if sum(_unconstrained_for(s, t) for s, _ in expanded) >= 2}
    if not doomed or schema is False:
        return schema
    if "number" in doomed:
        doomed.add("integer")
    base = {} if schema is True else schema
    declared = base.get("type", [*_JSON_TYPES, "integer"])
    declared = [declared] if isinstance(declared, str) else list(declared)
    kept = [t for t in declared if t not in doomed]
    return {**base, "type": kept} if kept else False


def _unconstrained_for(schema: Any, json_type: str) -> bool:
    """Whether ``schema`` accepts every instance of ``json_type`` (no keyword of it applies to that type)."""
    if schema is True:
        return True
    if schema is False:
        return False
    for key, value in schema.items():
        pol = POLICY.get(key)
        if pol is None or pol.kind in (ANNOTATION, STRUCTURAL):
            continue
        if key == "type":
            declared = {value} if isinstance(value, str) else set(value)
            if json_type not in declared:
                return False
            continue
        if pol.applies_to is None or json_type in pol.applies_to:
            return False
    return True


def _with_tag(lw: Lowerer, a: Any, ares: Any, b: Any, bres: Any, allowed: frozenset[str]) -> Any:
    """``a`` requiring a property that ``b`` declares with a disjoint subschema, if that proves them disjoint."""
    if not isinstance(a, dict) or not isinstance(b, dict):
        return None
    pb = b.get("properties", {})
    for name in [n for n in a.get("properties", {}) if n in pb]:
        tagged = _require(a, name)
        if lw._pair_disjoint(tagged, ares, b, bres, allowed=allowed):  # noqa: SLF001
            return tagged
    return None


def _without_key(lw: Lowerer, a: Any, ares: Any, b: Any, bres: Any, allowed: frozenset[str]) -> Any:
    """``a`` forbidding a key that ``b`` requires and ``a`` does not declare, if that proves them disjoint."""
    if not isinstance(a, dict) or not isinstance(b, dict):
        return None
    for name in b.get("required", []):
        if name in a.get("properties", {}) or name in a.get("required", []):
            continue
        # ``name: false`` among the properties: an instance without the key is unaffected, one with it invalid.
        narrowed = {**a, "properties": {**a.get("properties", {}), name: False}}
        if lw._pair_disjoint(narrowed, ares, b, bres, allowed=allowed):  # noqa: SLF001
            return narrowed
    return None


def _require(schema: dict, name: str) -> dict:
    required = list(schema.get("required", []))
    return schema if name in required else {**schema, "required": [*required, name]}
