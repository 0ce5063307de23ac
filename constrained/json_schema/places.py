"""Where arrays and objects can appear in an instance: the places the lowering puts them, as instance-path patterns.

A run-time check may only apply to the containers at a place when *every* container the schema allows there is
the kind it checks: ``uniqueItems`` arrays (``unique_plan.py``) and wide objects in any order (``key_plan.py``).
So the lowering notes each place it emits arrays and objects at (``PlaceNotes``): checked ones with what the
check needs, and every other one (plain arrays and objects, "any value", listed values, recursive rules) as
free. A place is a tuple of steps: a key set (one name, or the keys matching patterns / not declared), any
index, or ``DEEP`` (any path below). Patterns over-approximate where unsure (any index, any key), which can only
make two places meet more often, so a check is then refused (or not used) rather than applied to a free one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Generic, Protocol, TypeVar

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


@dataclass(frozen=True)
class ObjectNote:
    """Objects at ``place`` written as a loop of members: the run-time check keeps keys distinct and required.

    ``keys`` is the quoted key language (declared names and the extra keys allowed), ``required`` the names that
    must appear, ``pointer`` the object schema's JSON pointer. ``members`` (declared name, member node),
    ``excluded`` (declared names never allowed) and ``extras`` (the members under undeclared keys) tell whether
    loops at the same place agree on every key they share (``key_plan.py``).
    """

    place: Place
    keys: Node
    required: frozenset[str]
    pointer: str
    members: tuple[tuple[str, Node], ...] = ()
    excluded: frozenset[str] = frozenset()
    extras: Node | None = None


Mark = tuple[int, int, int, int]


@dataclass
class PlaceNotes:
    """Where a lowering put containers: free and unique arrays, free and checked objects (places as above).

    A free object's note also names its object schema (JSON pointer) when it could have been a member loop too
    (``key_plan.py`` may ask for that), else None.
    """

    free_arrays: list[Place] = field(default_factory=list)
    unique: list[ArrayNote] = field(default_factory=list)
    free_objects: list[tuple[Place, str | None]] = field(default_factory=list)
    checked_objects: list[ObjectNote] = field(default_factory=list)

    def object_count(self) -> int:
        """How many object notes there are (free and checked)."""
        return len(self.free_objects) + len(self.checked_objects)

    def mark(self) -> Mark:
        """Where the lists end now (for ``since`` and ``rewind``)."""
        return len(self.free_arrays), len(self.unique), len(self.free_objects), len(self.checked_objects)

    def rewind(self, mark: Mark) -> None:
        """Forget what was noted since ``mark``."""
        a, u, o, c = mark
        del self.free_arrays[a:], self.unique[u:], self.free_objects[o:], self.checked_objects[c:]

    def since(self, mark: Mark, depth: int) -> PlaceNotes:
        """What was noted since ``mark``, relative to a place ``depth`` steps deep (to replay elsewhere)."""
        a, u, o, c = mark
        return PlaceNotes(
            list(dict.fromkeys(p[depth:] for p in self.free_arrays[a:])),
            [replace(n, place=n.place[depth:]) for n in self.unique[u:]],
            list(dict.fromkeys((p[depth:], pointer) for p, pointer in self.free_objects[o:])),
            [replace(n, place=n.place[depth:]) for n in self.checked_objects[c:]],
        )

    def replay(self, relative: PlaceNotes, here: Place) -> None:
        """Note again what ``relative`` holds, at ``here``."""
        self.free_arrays += [here + p for p in relative.free_arrays]
        self.unique += [replace(n, place=here + n.place) for n in relative.unique]
        self.free_objects += [(here + p, pointer) for p, pointer in relative.free_objects]
        self.checked_objects += [replace(n, place=here + n.place) for n in relative.checked_objects]


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


class _Placed(Protocol):
    @property
    def place(self) -> Place: ...


Checked = TypeVar("Checked", bound=_Placed)


class ByPlace(Generic[Checked]):
    """Checks found by instance path: the first whose place matches (lookups memoized)."""

    def __init__(self, checked: list[Checked]) -> None:
        """Hold the checks in the order they are tried."""
        self.checked = checked
        self._memo: dict[tuple[str | int, ...], Checked | None] = {}

    def find(self, path: tuple[str | int, ...]) -> Checked | None:
        """The check whose place matches the concrete instance ``path``, or None."""
        if path in self._memo:
            return self._memo[path]
        found = next((c for c in self.checked if path_matches(c.place, path)), None)
        if len(self._memo) < 10_000:
            self._memo[path] = found
        return found


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


def holds_object(value: Any) -> bool:
    """Whether a JSON value has an object anywhere in it."""
    if isinstance(value, dict):
        return True
    if isinstance(value, list):
        return any(holds_object(v) for v in value)
    return False
