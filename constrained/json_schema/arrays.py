"""Arrays: positional items (``prefixItems`` / draft-07 array ``items``), the rest, and the length bounds.

Language: ``"[" ws [E_0 ws ("," ws E_i ws)*] "]"`` where E_i is the positional schema for index i and the
rest schema afterwards; the number of elements is within ``minItems..maxItems`` exactly. The node is built
from the back as nested optionals, so its size is linear in the number of positional schemas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from constrained.regex_ast import EMPTY, NOTHING, Node, alt, chars, optional, repeat, seq

from .contains import contains_node
from .merge import has_constraints
from .places import INDEX
from .rules import is_regular
from .unique import unique_node

if TYPE_CHECKING:
    from .lower import Lowerer


def array_node(lw: Lowerer, schema: dict, ptr: str, res: Any) -> Node:
    """The array texts allowed by ``schema``'s array keywords."""
    checked_unique = False
    if schema.get("uniqueItems") is True:
        distinct = unique_node(lw, schema, ptr, res)
        if distinct is not None:
            lw.note_free()  # distinct by construction: a run-time check must not meet these arrays
            return distinct
        if "prefixItems" in schema or isinstance(schema.get("items"), list) or "contains" in schema:
            lw.refuse("uniqueItems", f"{ptr}/uniqueItems", "together with positional items or contains")
        else:
            checked_unique = True  # checked at run time (``unique_plan.py``), which may still refuse it
    if "contains" in schema:
        counted = contains_node(lw, schema, ptr, res)
        if counted is not None:
            return counted
    ws = lw.ws
    items = schema.get("items", True)
    if isinstance(items, list):  # draft 2019-09 and older: positional items + additionalItems
        prefix, prefix_key = items, "items"
        rest, rest_ptr = schema.get("additionalItems", True), f"{ptr}/additionalItems"
        if "additionalItems" not in schema:
            rest, rest_ptr = _unevaluated(lw, schema, ptr)
    else:
        prefix, prefix_key = schema.get("prefixItems", []), "prefixItems"
        rest, rest_ptr = items, f"{ptr}/items"
        if "items" not in schema:
            rest, rest_ptr = _unevaluated(lw, schema, ptr)
    lo = int(schema.get("minItems", 0))  # 2.0 is a valid count in 2020-12
    hi = None if schema.get("maxItems") is None else int(schema["maxItems"])
    if hi is not None and hi < lo:
        return NOTHING

    with lw.under(INDEX):
        elems = [seq(lw.lower(s, f"{ptr}/{prefix_key}/{i}", res), ws) for i, s in enumerate(prefix)]
        item = lw.lower(rest, rest_ptr, res)
    if checked_unique:
        open_kind = _open_kind(lw, rest, rest_ptr, res)
        if open_kind in (None, "string") and not is_regular(item):
            # The run-time check needs a regular item language: recursion and any-values in the items get depth
            # bounds instead (stricter, reported).
            with lw.under(INDEX), lw.regular():
                bounded = lw.lower(rest, rest_ptr, res)
            if is_regular(bounded):
                item = bounded
                lw.bounds_hit.append(f"{ptr}/uniqueItems")
        lw.note_unique(item, f"{ptr}/uniqueItems", lo, open_kind)
    else:
        lw.note_free()
    rest_node = seq(item, ws)
    sep = seq(chars(","), ws)

    def element(i: int) -> Node:
        return elems[i] if i < len(elems) else rest_node

    # tail(i): the elements after the first i, each preceded by a comma.
    count = len(elems)
    r_lo = max(0, lo - count)
    r_hi = None if hi is None else hi - count
    if r_hi is not None and r_hi < 0:
        tail: Node = EMPTY
    elif rest_node == NOTHING:
        tail = EMPTY if r_lo == 0 else NOTHING
    else:
        tail = repeat(seq(sep, rest_node), r_lo, r_hi)
    # Positions count-1 .. 1 wrap the tail; a position at or beyond maxItems ends the array there.
    for i in range(count - 1, 0, -1):
        if hi is not None and i >= hi:
            tail = EMPTY if i >= lo else NOTHING
            continue
        step = seq(sep, elems[i], tail)
        tail = step if i < lo else optional(step)
    if hi == 0:
        return seq(chars("["), ws, chars("]"))
    if count == 0:  # the first element is itself a rest element: the tail holds the other lo-1..hi-1
        more_hi = None if hi is None else hi - 1
        tail = repeat(seq(sep, rest_node), max(0, lo - 1), more_hi)
    first = seq(element(0), tail)
    body = alt(EMPTY, first) if lo == 0 else first
    return seq(chars("["), ws, body, chars("]"))


# Keywords that may stop an object item from taking one more (new) property.
_CLOSING = frozenset(
    ("anyOf", "oneOf", "not", "if", "enum", "const", "maxProperties", "propertyNames", "patternProperties",
     "unevaluatedProperties", "dependentSchemas", "dependencies", "$dynamicRef")
)  # fmt: skip


def _open_kind(lw: Lowerer, items: Any, ptr: str, res: Any) -> str | None:
    """What the items are, for the run-time check: ``"any"``, ``"object"``, ``"string"`` or None.

    ``"any"``: any JSON value; ``"object"``: objects that can always take one more property. Such open items leave
    no prefix stranded but the literals ``tru``, ``fals``, ``nul`` (checked by the scan). ``"string"``: strings,
    whose completions are counted (``unique_plan.ItemLanguage.room``).
    """
    schema, _, _, _ = lw.expand(items, ptr, res)
    if schema is True or (isinstance(schema, dict) and not has_constraints(schema)):
        return "any"
    if isinstance(schema, dict) and schema.get("type") in ("string", ["string"]):
        return "string"
    if not isinstance(schema, dict) or schema.get("type") not in ("object", ["object"]) or _CLOSING & set(schema):
        return None
    extra = schema.get("additionalProperties")
    return "object" if (extra is None and lw.extra_properties) or extra is True or extra == {} else None


def _unevaluated(lw: Lowerer, schema: dict, ptr: str) -> tuple[Any, str]:
    """The schema for items after the positional ones when no ``items`` evaluates them: ``unevaluatedItems``.

    Exact after ``$ref``/``allOf`` merging (every evaluating keyword is in this object); ``contains`` also
    evaluates the items it matches, which is refused here.
    """
    rest = schema.get("unevaluatedItems", True)
    if rest is not True and "contains" in schema:
        lw.refuse("unevaluatedItems", f"{ptr}/unevaluatedItems", "together with contains is not supported")
        return True, f"{ptr}/unevaluatedItems"
    return rest, f"{ptr}/unevaluatedItems"
