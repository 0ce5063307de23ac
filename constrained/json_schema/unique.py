"""``uniqueItems: true`` over a small finite item domain: every arrangement of distinct values, as a DAG.

Exact when every position lists its values (``enum``/``const``, ``boolean``, ``null``; positional schemas too,
with a rest that lists values or is ``false``): the array is a sequence of distinct values, each allowed at its
position (in any of its spellings), with a length within minItems..maxItems. The node shares one sub-node per
(set of still-unused values, position), so it has at most ``2**k`` nodes per position for k values; larger
domains are left to the run-time check (``unique_plan.py``).
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from constrained.regex_ast import EMPTY, NOTHING, Node, alt, chars, literal, seq

from .places import INDEX
from .values import number_spellings

if TYPE_CHECKING:
    from .lower import Lowerer

MAX_DOMAIN = 6


def _domain(items: Any) -> list[Any] | None:
    if not isinstance(items, dict):
        return None
    if "const" in items:
        return [items["const"]]
    if "enum" in items:
        return list(items["enum"])
    if items.get("type") == "boolean":
        return [True, False]
    if items.get("type") == "null":
        return [None]
    return None


def unique_node(lw: Lowerer, schema: dict, ptr: str, res: Any) -> Node | None:
    """The arrays of distinct items, or None when this construction does not apply (caller refuses or checks).

    Every position must list its values: positional schemas (``prefixItems``, draft-07 array ``items``) and the
    rest schema, unless the rest is ``false`` (the array then ends after the positional ones).
    """
    if "contains" in schema:
        return None
    items = schema.get("items", True)
    if isinstance(items, list):
        prefix, prefix_key, rest, rest_key = items, "items", schema.get("additionalItems", True), "additionalItems"
    else:
        prefix, prefix_key, rest, rest_key = schema.get("prefixItems", []), "prefixItems", items, "items"
    if not isinstance(prefix, list):
        return None
    universe: list[Any] = []  # distinct values (JSON equality: 1 == 1.0) over every position
    with lw.under(INDEX):
        positions = []
        for i, sub in enumerate(prefix):
            allowed = _values(lw, sub, f"{ptr}/{prefix_key}/{i}", res, universe)
            if allowed is None:
                return None
            positions.append(allowed)
        rest_values = {} if rest is False else _values(lw, rest, f"{ptr}/{rest_key}", res, universe)
    if rest_values is None or len(universe) > MAX_DOMAIN:
        return None  # no listed values, or too many: the run-time check takes it (``unique_plan.py``)
    return _arrangements(lw, schema, positions, rest_values, len(universe))


def _values(lw: Lowerer, sub: Any, ptr: str, res: Any, universe: list[Any]) -> dict[int, Node] | None:
    """The listed values ``sub`` accepts, by their index in ``universe`` (added as met), each spelled out."""
    items, ires, _, _ = lw.expand(sub, ptr, res)
    candidates = _domain(items)
    if candidates is None:
        return None
    out: dict[int, Node] = {}
    for value in candidates:
        if not lw.valid(value, items, ires):
            continue
        index = next((k for k, v in enumerate(universe) if _same(value, v)), None)
        if index is None:
            index = len(universe)
            universe.append(value)
        if index in out:
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            spelled = [literal(t) for t in number_spellings(value) if lw.valid(json.loads(t), items, ires)]
            out[index] = alt(*spelled) if spelled else NOTHING
        else:
            out[index] = lw.value_text(value, f"{ptr}/uniqueItems")
    return out


def _arrangements(
    lw: Lowerer, schema: dict, positions: list[dict[int, Node]], rest: dict[int, Node], size: int
) -> Node:
    """``[v_0, v_1, ...]`` with each ``v_i`` among its position's values, no value twice, length within bounds."""
    lo, hi = int(schema.get("minItems", 0)), schema.get("maxItems")
    hi = size if hi is None else min(int(hi), size)
    ws, sep = lw.ws, seq(chars(","), lw.ws)

    def allowed(count: int) -> dict[int, Node]:
        return positions[count] if count < len(positions) else rest

    @cache
    def tail(unused: frozenset[int], count: int) -> Node:
        parts: list[Node] = [EMPTY] if count >= lo else []
        if count < hi:
            for i, node in sorted(allowed(count).items()):
                if i in unused:
                    parts.append(seq(sep, node, ws, tail(unused - {i}, count + 1)))
        return alt(*parts) if parts else NOTHING

    every = frozenset(range(size))
    firsts: list[Node] = [EMPTY] if lo == 0 else []
    if hi >= 1:
        firsts += [seq(node, ws, tail(every - {i}, 1)) for i, node in sorted(allowed(0).items())]
    return seq(chars("["), ws, alt(*firsts) if firsts else NOTHING, chars("]"))


def _same(a: Any, b: Any) -> bool:
    """JSON Schema equality for domain values (1 == 1.0, true != 1); nested booleans may over-merge (stricter)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)
