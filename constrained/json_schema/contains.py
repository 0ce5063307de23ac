"""``contains`` / ``minContains`` / ``maxContains``: arrays whose count of matching elements is bounded.

Every element is either valid against ``contains`` (it is in ``items ∧ contains``) or not (``items ∧ ¬contains``,
built by ``not``, which is exact or refused); the count of the first kind must lie in minContains..maxContains.
With ``X`` a non-matching element and ``Y`` a matching one (each followed by whitespace) and ``,`` separators::

    "[" ws  ( X (,X)* ((,Y)(,X)*){lo,hi}  |  Y (,X)* ((,Y)(,X)*){lo-1,hi-1}  |  ε when lo = 0 )  "]"

Refused together with ``prefixItems``/array ``items`` or a ``maxItems``/``minItems`` that the count does not
already imply (the two counters would need a product).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from constrained.errors import UnsupportedFeature
from constrained.regex_ast import EMPTY, NOTHING, Node, alt, chars, repeat, seq

from .complement import complement
from .places import INDEX

if TYPE_CHECKING:
    from .lower import Lowerer


def contains_node(lw: Lowerer, schema: dict, ptr: str, res: Any) -> Node | None:
    """The array texts for a schema with ``contains``; None when ``contains`` constrains nothing here."""
    where = f"{ptr}/contains"
    lo = 1 if lw.old_draft else int(schema.get("minContains", 1))
    hi = None if lw.old_draft or schema.get("maxContains") is None else int(schema["maxContains"])
    if lo == 0 and hi is None:
        return None
    if hi is not None and hi < lo:
        return NOTHING
    items = schema.get("items", True)
    min_items, max_items = int(schema.get("minItems", 0)), schema.get("maxItems")
    if isinstance(items, list) or "prefixItems" in schema or max_items is not None or min_items > lo:
        lw.refuse("contains", where, "contains together with positional items or item counts is not supported")
        return None
    ws = lw.ws
    rest = {} if items is True else items
    lw.note_free()
    matching, failing = _split(lw, schema["contains"], where, res)
    with lw.under(INDEX):
        yes = seq(lw.lower({"allOf": [rest, matching]}, where, res), ws)
        try:
            no = seq(lw.lower({"allOf": [rest, failing]}, where, res), ws)
        except UnsupportedFeature as exc:  # name the keyword the user wrote, not the negation built from it
            reason = f"non-matching items cannot be built exactly: {exc.reason}"
            raise UnsupportedFeature("contains", where, reason) from exc
    sep = seq(chars(","), ws)
    more_no = repeat(seq(sep, no), 0, None)
    block = seq(sep, yes, more_no)  # one more matching element, then non-matching ones
    parts: list[Node] = [seq(no, more_no, repeat(block, lo, hi))]
    if hi is None or hi >= 1:
        parts.append(seq(yes, more_no, repeat(block, max(0, lo - 1), None if hi is None else hi - 1)))
    if lo == 0:
        parts.append(EMPTY)
    return seq(chars("["), ws, alt(*parts), chars("]"))


def _split(lw: Lowerer, contains: Any, where: str, res: Any) -> tuple[Any, Any]:
    """(schema of matching items, schema of the others).

    ``contains: {not: X}`` (as ``complement.py`` writes "an item that ``items`` rejects") matches the complement
    of ``X`` where one can be written, and the others are exactly ``X``: no negation left to build.
    """
    if isinstance(contains, dict) and set(contains) == {"not"}:
        inverse = complement(lw, contains["not"], res, f"{where}/not")
        if inverse is not None:
            return inverse, contains["not"]
    return contains, {"not": contains}
