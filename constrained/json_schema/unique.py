"""``uniqueItems: true`` over a small finite item domain: every arrangement of distinct values, as a DAG.

Exact when the items schema lists its values (``enum``/``const``, ``boolean``, ``null``): the array is a
sequence of distinct domain values (each in any of its spellings) with a length within minItems..maxItems.
The node shares one sub-node per set of still-unused values, so it has ``2**k`` nodes for k values; larger
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
    """The arrays of distinct items, or None when this construction does not apply (caller refuses)."""
    if "prefixItems" in schema or isinstance(schema.get("items"), list) or "contains" in schema:
        return None
    items, _, _, _ = lw.expand(schema.get("items", True), f"{ptr}/items", res)
    candidates = _domain(items)
    if candidates is None:
        return None
    with lw.under(INDEX):
        return _arrangements(lw, schema, items, candidates, ptr, res)


def _arrangements(lw: Lowerer, schema: dict, items: Any, candidates: list[Any], ptr: str, res: Any) -> Node | None:
    values: list[tuple[Any, Node]] = []  # distinct by JSON equality (1 == 1.0), valid against the items schema
    for value in candidates:
        if any(_same(value, v) for v, _ in values) or not lw.valid(value, items, res):
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            spelled = [literal(t) for t in number_spellings(value) if lw.valid(json.loads(t), items, res)]
            values.append((value, alt(*spelled) if spelled else NOTHING))
        else:
            values.append((value, lw.value_text(value, f"{ptr}/uniqueItems")))
    if len(values) > MAX_DOMAIN:
        return None  # the run-time check takes it (``unique_plan.py``)
    lo, hi = int(schema.get("minItems", 0)), schema.get("maxItems")
    hi = len(values) if hi is None else min(int(hi), len(values))
    ws, sep = lw.ws, seq(chars(","), lw.ws)

    @cache
    def rest(unused: frozenset[int], count: int) -> Node:
        parts: list[Node] = [EMPTY] if count >= lo else []
        if count < hi:
            for i in sorted(unused):
                parts.append(seq(sep, values[i][1], ws, rest(unused - {i}, count + 1)))
        return alt(*parts) if parts else NOTHING

    every = frozenset(range(len(values)))
    firsts: list[Node] = [EMPTY] if lo == 0 else []
    if hi >= 1:
        firsts += [seq(values[i][1], ws, rest(every - {i}, 1)) for i in range(len(values))]
    return seq(chars("["), ws, alt(*firsts) if firsts else NOTHING, chars("]"))


def _same(a: Any, b: Any) -> bool:
    """JSON Schema equality for domain values (1 == 1.0, true != 1); nested booleans may over-merge (stricter)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)
