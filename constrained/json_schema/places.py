"""Where arrays can appear in an instance: the places the lowering puts array texts, as instance-path patterns.

A run-time ``uniqueItems`` check (``unique_plan.py``) may only check the arrays at a place when *every* array the
schema allows there must be unique. So the lowering notes each place it emits arrays at (``ArrayNote``): unique
ones with their item language, and every other array (plain arrays, "any value", listed values holding arrays,
recursive rules) as free. A place is a tuple of steps: a key set (one name, or the keys matching patterns / not
declared), any index, or ``DEEP`` (any path below). Patterns over-approximate where unsure (any index, any key),
which can only make two places meet more often, so a check is then refused rather than applied to a free array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from constrained.regex_ast import Node

from .strings import node_matches


@dataclass(frozen=True)
class KeySet:
    """Object keys: one ``name``, or every key matching all of ``matching`` and none of ``avoiding``/``excluded``."""

    name: str | None = None
    matching: tuple[Node, ...] = ()
    avoiding: tuple[Node, ...] = ()
    excluded: frozenset[str] = frozenset()

    def matches(self, key: str) -> bool:
        """Whether ``key`` is in the set."""
        if self.name is not None:
            return key == self.name
        return (
            key not in self.excluded
            and all(node_matches(n, key) for n in self.matching)
            and not any(node_matches(n, key) for n in self.avoiding)
        )

    def may_meet(self, other: KeySet) -> bool:
        """False only when no key is in both sets."""
        if self.name is not None:
            return other.matches(self.name)
        if other.name is not None:
            return self.matches(other.name)
        return True


INDEX = "index"  # any array index
DEEP = "deep"  # any path (including none) below this point
Step = KeySet | str
Place = tuple[Step, ...]


@dataclass(frozen=True)
class ArrayNote:
    """Unique arrays emitted at ``place``: their item node, the ``uniqueItems`` pointer, ``minItems``."""

    place: Place
    item: Node
    pointer: str
    min_items: int = 0
    open_kind: str | None = None  # "any" (any JSON value) or "object" (objects taking one more property)


def steps_meet(a: Place, b: Place) -> bool:
    """Whether some instance path matches both places."""
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else None
        y = b[i] if i < len(b) else None
        if x == DEEP or y == DEEP:
            return True
        if x is None or y is None:
            return False
        if isinstance(x, KeySet) and isinstance(y, KeySet):
            if not x.may_meet(y):
                return False
        elif x != y:  # an index step against a key step
            return False
    return True


def path_matches(place: Place, path: tuple[str | int, ...]) -> bool:
    """Whether a concrete instance path (keys and indices) is at ``place`` (which holds no ``DEEP``)."""
    if len(place) != len(path):
        return False
    for step, part in zip(place, path, strict=True):
        if step == INDEX:
            if not isinstance(part, int):
                return False
        elif not isinstance(step, KeySet) or not isinstance(part, str) or not step.matches(part):
            return False
    return True


def mentions_unique(schema: Any) -> bool:
    """Whether ``uniqueItems: true`` appears anywhere in a schema document (else no place needs noting)."""
    if isinstance(schema, dict):
        return schema.get("uniqueItems") is True or any(mentions_unique(v) for v in schema.values())
    if isinstance(schema, list):
        return any(mentions_unique(v) for v in schema)
    return False


def holds_array(value: Any) -> bool:
    """Whether a JSON value has an array anywhere in it."""
    if isinstance(value, list):
        return True
    if isinstance(value, dict):
        return any(holds_array(v) for v in value.values())
    return False
