"""Wide objects in any order: which objects get their keys checked while generating, and how.

In any property order an object with ``n`` declared properties needs ``2^n`` automaton states to remember which
ones it has had (``property_order.py``), too many past a few. Past ``MAX_ANY_ORDER`` the object is written as a
loop of members instead (any member, any number of times) and a run-time check (``checked_matcher.py``) rules out
what the loop lets through: a key written twice, ``}`` before every required key is in, and a key prefix whose
every completion is a key already used. The last one is the stuck-prefix question of ``uniqueItems``, asked of
the object's key language (``ItemLanguage`` over the quoted keys, the used keys as the values seen).

The check finds its objects by instance path, so it only applies where every object the schema allows at that
place is the same member loop (``places.py``); the others keep schema order (``keep_order``, a stated bound),
found by ``plan_key_checks`` and lowered again.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any

from constrained.byte_dfa import ByteDFA
from constrained.errors import BudgetExceeded
from constrained.regex_ast import NOTHING, Node

from .places import ByPlace, ObjectNote, Place, steps_meet
from .unique_plan import MAX_ITEM_SECONDS, MAX_ITEM_STATES, ItemLanguage

if TYPE_CHECKING:
    from .lower import Lowerer


@dataclass(frozen=True)
class KeyOption:
    """One loop an object may be: its key language (quoted keys) and its required keys (canonical values)."""

    keys: ItemLanguage
    required: frozenset[Any]


@dataclass(frozen=True)
class ObjectCheck:
    """Objects at ``place``: each key at most once, and some option takes every key and finds its required ones.

    Several options stand for the branches of an ``anyOf``/``oneOf`` (or of ``dependencies``) that are all member
    loops at one place and agree on the value of every key they share (``_agree``): then which branch an object
    belongs to is told by its keys alone, and the scanner keeps the options its keys so far leave.
    """

    place: Place
    options: tuple[KeyOption, ...]
    pointers: tuple[str, ...]


class KeyPlan(ByPlace[ObjectCheck]):
    """The objects checked at run time, found by their instance path (``find``)."""

    @property
    def pointers(self) -> list[str]:
        """The object schemas whose keys are checked at run time (JSON pointers)."""
        return sorted({p for c in self.checked for p in c.pointers})


def plan_key_checks(lw: Lowerer) -> tuple[KeyPlan | None, set[str], set[str]]:
    """The run-time key checks of the member loops the lowering noted, and what to lower again differently.

    Returns the plan, the JSON pointers of the object schemas whose loops cannot be told apart from other objects
    at their place (or whose key language is too large): those must be lowered again in schema order; and the
    object schemas of few properties found at a loop's very place, which may become loops too (options of one
    check). While either set is not empty the plan is not final.
    """
    frees = list(dict.fromkeys(lw.notes.free_objects))
    unusable = set(lw.unplaced_objects)
    loops: set[str] = set()
    groups: dict[Place, list[ObjectNote]] = {}
    for note in dict.fromkeys(lw.notes.checked_objects):
        meeting = [(place, pointer) for place, pointer in frees if steps_meet(note.place, place)]
        if all(place == note.place and pointer not in (None, *lw.loop_also) for place, pointer in meeting):
            loops.update(pointer for _, pointer in meeting if pointer is not None)  # may become options
        else:
            unusable.add(note.pointer)
        group = groups.setdefault(note.place, [])
        if all(_content(note) != _content(other) for other in group):
            group.append(note)
    places = list(groups)
    for i, place in enumerate(places):
        group = groups[place]
        if not all(_agree(a, b) for a, b in combinations(group, 2)):
            unusable.update(n.pointer for n in group)
        contents = {_content(n) for n in group}
        for other in places[i + 1 :]:  # two places an object can be at both: one check must serve both
            if steps_meet(place, other) and contents != {_content(n) for n in groups[other]}:
                unusable.update(n.pointer for n in group + groups[other])
    changed = True
    while changed:  # a loop kept in schema order becomes a free object at every place it is lowered at
        changed = False
        for group in groups.values():
            pointers = {n.pointer for n in group}
            if pointers & unusable and not pointers <= unusable:
                unusable |= pointers
                changed = True
    languages: dict[Node, ItemLanguage | None] = {}
    checks: list[ObjectCheck] = []
    for place, group in groups.items():
        options = []
        for note in group:
            if note.keys not in languages:
                languages[note.keys] = _key_language(note.keys)
            keys = languages[note.keys]
            if keys is None:
                unusable.update(n.pointer for n in group)
                break
            options.append(KeyOption(keys, frozenset(("string", name) for name in note.required)))
        checks.append(ObjectCheck(place, tuple(options), tuple(n.pointer for n in group)))
    checks = [c for c in checks if not set(c.pointers) & unusable]
    return (KeyPlan(checks) if checks else None), unusable, loops - unusable


def _content(note: ObjectNote) -> tuple[Any, ...]:
    """What a note checks, without where it came from."""
    return note.keys, note.required, note.members, note.excluded, note.extras


def _same(a: Node | None, b: Node | None) -> bool:
    return a is b or (a is not None and b is not None and hash(a) == hash(b) and a == b)


def _agree(a: ObjectNote, b: ObjectNote) -> bool:
    """Whether two loops give every key they both allow the same value language (so keys alone tell them apart).

    Their extra members must be the same, a declared name both have the same member, and a name only one declares
    must be one the other excludes (or the other has no extra members to take it).
    """
    if not _same(a.extras, b.extras):
        return False
    members_a, members_b = dict(a.members), dict(b.members)
    if any(not _same(members_a[name], members_b[name]) for name in members_a.keys() & members_b.keys()):
        return False
    for mine, theirs, other in ((members_a, members_b, b), (members_b, members_a, a)):
        for name in mine.keys() - theirs.keys():
            if name not in other.excluded and other.extras != NOTHING:
                return False
    return True


def _key_language(keys: Node) -> ItemLanguage | None:
    try:
        dfa = ByteDFA.from_node(keys, max_states=MAX_ITEM_STATES, max_seconds=MAX_ITEM_SECONDS)
    except BudgetExceeded:
        return None
    return ItemLanguage(dfa, 0, strings=True)
