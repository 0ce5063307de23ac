"""Structure-level mutations of a JSON document: the near misses a JSON Schema is about.

The document is parsed, one node is changed, and it is serialized again (compact). Each mutation returns
``(new_value, detail)`` with ``detail`` naming the JSON path it changed, or None when it does not apply.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

JsonMutation = Callable[[random.Random, Any], "tuple[Any, str] | None"]
EXTRA_KEY = "__fuzz_extra__"
# One value per JSON type; wrong_type picks one of a type different from the node's.
TYPE_SAMPLES: tuple[Any, ...] = (None, True, 0, 0.5, "x", [], {})


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    return "array" if isinstance(v, list) else "object"


def _nodes(doc: Any, path: str = "$") -> list[tuple[str, Any, Any, Any]]:
    """Every node as ``(path, value, parent, key)``; the root has parent None."""
    out: list[tuple[str, Any, Any, Any]] = [(path, doc, None, None)]
    stack = [(path, doc)]
    while stack:
        p, v = stack.pop()
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
        for k, child in items:
            cp = f"{p}.{k}" if isinstance(v, dict) else f"{p}[{k}]"
            out.append((cp, child, v, k))
            stack.append((cp, child))
    return out


def _pick(rng: random.Random, doc: Any, want: Callable[[Any], bool]) -> tuple[Any, tuple[str, Any, Any, Any]] | None:
    """Deep-copy ``doc`` and choose one of its nodes satisfying ``want``."""
    doc = copy.deepcopy(doc)
    nodes = [n for n in _nodes(doc) if want(n[1])]
    return (doc, rng.choice(nodes)) if nodes else None


def _replace(doc: Any, parent: Any, key: Any, value: Any) -> Any:
    if parent is None:
        return value
    parent[key] = value
    return doc


def drop_property(rng: random.Random, doc: Any) -> tuple[Any, str] | None:
    """Remove one property of an object (breaks ``required``)."""
    picked = _pick(rng, doc, lambda v: isinstance(v, dict) and bool(v))
    if picked is None:
        return None
    doc, (path, obj, _, _) = picked
    key = rng.choice(list(obj))
    del obj[key]
    return doc, f"dropped {path}.{key}"


def extra_property(rng: random.Random, doc: Any) -> tuple[Any, str] | None:
    """Add an unknown property to an object (breaks ``additionalProperties: false``)."""
    picked = _pick(rng, doc, lambda v: isinstance(v, dict) and EXTRA_KEY not in v)
    if picked is None:
        return None
    doc, (path, obj, _, _) = picked
    obj[EXTRA_KEY] = 0
    return doc, f"added {path}.{EXTRA_KEY}"


def wrong_type(rng: random.Random, doc: Any) -> tuple[Any, str] | None:
    """Replace a value by one of another JSON type (breaks ``type``)."""
    picked = _pick(rng, doc, lambda v: True)
    if picked is None:  # unreachable: the root is always a node
        return None
    doc, (path, value, parent, key) = picked
    other = [s for s in TYPE_SAMPLES if _type_name(s) != _type_name(value)]
    new = copy.deepcopy(rng.choice(other))
    return _replace(doc, parent, key, new), f"{path}: {_type_name(value)} -> {_type_name(new)}"


def off_by_one(rng: random.Random, doc: Any) -> tuple[Any, str] | None:
    """One more or one fewer: a string character, an array item, or a number step (breaks min/max bounds)."""
    picked = _pick(rng, doc, lambda v: isinstance(v, str | list | int | float) and not isinstance(v, bool))
    if picked is None:
        return None
    doc, (path, value, parent, key) = picked
    up = rng.random() < 0.5
    if isinstance(value, str):
        new: Any = value + (value[-1:] or "a") if up or not value else value[:-1]
        what = "length"
    elif isinstance(value, list):
        new = value + [copy.deepcopy(value[-1])] if up and value else value[:-1] if value else [None]
        what = "count"
    else:
        step = 1 if isinstance(value, int) else 0.5
        new = value + step if up else value - step
        what = "bound"
    return _replace(doc, parent, key, new), f"{path}: {what} {'+1' if up else '-1'}"


def empty_container(rng: random.Random, doc: Any) -> tuple[Any, str] | None:
    """Empty a non-empty array or object (breaks ``minItems``, ``required``, ``minProperties``)."""
    picked = _pick(rng, doc, lambda v: isinstance(v, list | dict) and bool(v))
    if picked is None:
        return None
    doc, (path, value, parent, key) = picked
    return _replace(doc, parent, key, type(value)()), f"{path}: emptied {_type_name(value)}"


JSON_MUTATIONS: dict[str, JsonMutation] = {
    "json:drop_property": drop_property,
    "json:extra_property": extra_property,
    "json:wrong_type": wrong_type,
    "json:off_by_one": off_by_one,
    "json:empty_container": empty_container,
}
