"""``uniqueItems`` over large item domains: which arrays are checked while generating, and how.

An automaton cannot remember every item written so far, so these arrays are built without the uniqueness and a
run-time check (``checked_matcher.py``) refuses any token that would finish an item equal to an earlier one. The
check is exact only where three things hold, else the keyword is refused by name (``plan_unique_checks``):

- every array the schema allows at that instance place must be unique (``places.py``: no free array meets it);
- the item language is regular (its automaton tells which item prefixes still have a completion);
- no prefix can get stuck: from every state of the item automaton either infinitely many items can still be
  written (so some are new), or the item is whole and cannot go on (then it is checked as a whole, a number as
  soon as it is settled), or the whole item language is a small finite list (then a prefix is allowed only
  while one of its completions is unused).

Equality is JSON Schema's: ``1`` equals ``1.0``, ``true`` does not equal ``1``, objects ignore key order.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from constrained.byte_dfa import DEAD, ByteDFA
from constrained.errors import BudgetExceeded
from constrained.token_index import TokenIndex
from constrained.vocab import Vocabulary

from .places import ArrayNote, ByPlace, Place, steps_meet
from .rules import is_regular

if TYPE_CHECKING:
    from .lower import Lowerer

MAX_ITEM_STATES = 100_000  # item (or key) automaton budget (a bigger item language is refused)
MAX_ITEM_SECONDS = 3.0
MAX_SEARCH_STEPS = 4_096  # a stuck-prefix search that runs longer has found many completions: answers yes
_WS = frozenset(b" \t\n\r")
ROOM_CAP = 1 << 40  # counts of distinct completions stop here
MANY = object()  # a stuck-prefix search's answer when it did not run (infinitely many) or ran too long


def canonical(value: Any) -> Any:
    """A hashable form of a value from ``parse_json`` under JSON Schema equality (numbers are already canonical)."""
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if isinstance(value, tuple):  # a number
        return value
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, list):
        return ("array", tuple(canonical(v) for v in value))
    return ("object", frozenset((k, canonical(v)) for k, v in value.items()))


def parse_json(data: bytes, members: Any = None) -> Any:
    """A JSON text with every number as its exact value (``_number``): ``1.0``, ``1`` and ``1e0`` are equal.

    ``members``, when given, builds each object from its list of (key, value) pairs (``json``'s
    ``object_pairs_hook``).
    """
    return json.loads(data, parse_float=_number, parse_int=_number, object_pairs_hook=members)


def _number(text: str) -> tuple[Any, ...]:
    """``("number", c, e)`` for the value c * 10**e with c not a multiple of 10 (exact, any size or exponent)."""
    negative = text.startswith("-")
    mantissa, _, exponent = text.lstrip("-").replace("E", "e").partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    if not digits:
        return ("number", 0, 0)
    stripped = digits.rstrip("0")
    try:
        scale = int(exponent or "0") - len(fraction) + len(digits) - len(stripped)
        coefficient = int(stripped)
    except ValueError:  # over Python's digit limit for int(): thousands of digits, compared as written
        return ("number text", text)
    return ("number", -coefficient if negative else coefficient, scale)


class ItemLanguage:
    """The item automaton of a checked array, and which of its states could strand an item.

    A state with infinitely many completions never strands one: some completion is new. A state with finitely
    many (a settled number like ``0``, the last characters of a bounded string, a closed object missing only its
    ``}``) is searched for a completion with a new value (``has_new_completion``). ``dfa`` is None for open items
    (``ArrayNote.open_kind``): any JSON value (``literals``: then ``tru`` can only become ``true``) or objects that
    can always take one more property; only whole items (and those literals) are checked.

    For string items (``strings``) the completions without a backslash are distinct values, so a state with more of
    them than the array has items is never stranded either (``room``): only the last characters of a bounded string
    need the search, and only tokens that lead towards a seen string need reading (``checked_matcher``).
    """

    def __init__(self, dfa: ByteDFA | None, min_items: int, literals: bool = False, strings: bool = False) -> None:
        """Analyse ``dfa`` (see ``_item_language``)."""
        self.dfa = dfa
        self.min_items = min_items
        self.literals = literals
        self.finite = np.zeros(1, dtype=bool) if dfa is None else _finite_states(dfa)
        self._live = np.zeros(1, dtype=bool) if dfa is None else _live_states(dfa)
        self.strings = strings
        # Distinct string values each state can still reach (capped); 0 where not counted (not strings).
        self.room = _string_room(dfa, self.finite) if dfa is not None and strings else np.zeros(len(self.finite))
        self._safe: dict[str, TokenIndex] = {}  # per vocabulary: tokens that keep an item off the finite states
        self._moves: dict[int, list[tuple[int, int]]] = {}  # per state: (byte, next live state)
        self._lock = threading.Lock()

    def state(self, prefix: bytes) -> int:
        """The item state after ``prefix`` (``DEAD`` when it is not an item prefix, or the items are open objects)."""
        return DEAD if self.dfa is None else self.dfa.walk(self.dfa.start, prefix)

    def open_after(self, state: int, data: bytes) -> bool:
        """Whether ``data`` read from ``state`` ends on a state with infinitely many completions."""
        if self.dfa is None or state == DEAD:
            return False
        q = self.dfa.walk(state, data)
        return q != DEAD and not self.finite[q]

    def holds(self, text: bytes) -> bool:
        """Whether ``text`` is a whole item (key) of this language."""
        q = self.state(text)
        return q != DEAD and bool(self.dfa is not None and self.dfa.accepting[q])

    def has_new_completion(self, prefix: bytes, in_string: bool, escape: bool, seen: frozenset[Any]) -> bool:
        """Whether some item starting with ``prefix`` has a value not in ``seen``.

        ``in_string``/``escape`` say where ``prefix`` ends (inside a string, after a backslash). The search skips
        whitespace outside strings (it never changes a value) and gives up, answering yes, past
        ``MAX_SEARCH_STEPS`` steps (so many completions are then left that some are new).
        """
        return self.new_completion(prefix, in_string, escape, seen) is not None

    def new_completion(self, prefix: bytes, in_string: bool, escape: bool, seen: frozenset[Any]) -> Any:
        """A value not in ``seen`` of an item starting with ``prefix``; ``MANY`` when not searched; None if none."""
        q = self.state(prefix)
        # ``room`` counts spellings, which inside an escape (``\u006b`` or ``\u006B``) may be one value: searched then.
        if q == DEAD or not self.finite[q] or (self.room[q] > len(seen) and 0x5C not in prefix[-6:]):
            return MANY
        steps = 0
        stack = [(q, b"", in_string, escape)]
        while stack:
            q, suffix, in_str, esc = stack.pop()
            steps += 1
            if steps > MAX_SEARCH_STEPS:
                return MANY
            assert self.dfa is not None
            if self.dfa.accepting[q]:
                value = canonical(parse_json(prefix + suffix))
                if value not in seen:
                    return value
            for byte, nxt in reversed(self._live_moves(q)):
                if not in_str and byte in _WS:
                    continue
                s_in, s_esc = _string_step(in_str, esc, byte)
                stack.append((nxt, suffix + bytes([byte]), s_in, s_esc))
        return None

    def _live_moves(self, q: int) -> list[tuple[int, int]]:
        moves = self._moves.get(q)
        if moves is None:
            assert self.dfa is not None
            row, classes, live = self.dfa.row_lists()[q], self.dfa.class_list(), self._live
            moves = [(b, row[classes[b]]) for b in range(256) if live[row[classes[b]]]]
            with self._lock:
                self._moves[q] = moves
        return moves

    def may_strand(self, state: int, seen: int) -> bool:
        """Whether an item at ``state`` may have no completion but the ``seen`` values (searched then)."""
        return state == DEAD or bool(self.finite[state] and self.room[state] <= seen)

    def safe_words(self, state: int, vocab: Vocabulary) -> np.ndarray | None:
        """Packed mask of the tokens that keep the item on infinite states from ``state`` (None: no token does)."""
        if self.dfa is None or state == DEAD or self.finite[state]:
            return None
        key = vocab.fingerprint()
        with self._lock:
            index = self._safe.get(key)
            if index is None:
                finite, dfa = self.finite, self.dfa
                table = np.where(finite[dfa.table], DEAD, dfa.table).astype(dfa.table.dtype)
                infinite = ByteDFA(table, dfa.classes.copy(), dfa.accepting & ~finite, dfa.start)
                index = self._safe[key] = TokenIndex(infinite, vocab)
        return index.entry(state).words


def _string_step(in_string: bool, escape: bool, byte: int) -> tuple[bool, bool]:
    """(inside a string, after a backslash) once ``byte`` is read."""
    if not in_string:
        return byte == 0x22, False
    if escape:
        return True, False
    return byte != 0x22, byte == 0x5C


@dataclass(frozen=True)
class CheckedArrays:
    """Arrays at ``place`` whose items must be distinct; ``pointer`` is the ``uniqueItems`` keyword."""

    place: Place
    items: ItemLanguage
    pointer: str


class UniquePlan(ByPlace[CheckedArrays]):
    """The arrays checked at run time, found by their instance path."""

    @property
    def pointers(self) -> list[str]:
        """The ``uniqueItems`` keywords checked at run time (JSON pointers)."""
        return sorted({c.pointer for c in self.checked})

    def at(self, path: tuple[str | int, ...]) -> ItemLanguage | None:
        """The item language when the array at instance ``path`` is checked, else None."""
        found = self.find(path)
        return None if found is None else found.items


def plan_unique_checks(lw: Lowerer) -> UniquePlan | None:
    """The run-time checks for the unique arrays the lowering noted; refuses (or weakens) those it cannot check."""
    uniques = list(dict.fromkeys(lw.notes.unique))
    if not uniques:
        return None
    frees = list(dict.fromkeys(lw.notes.free_arrays))
    checked: list[CheckedArrays] = []
    languages: dict[int, ItemLanguage] = {}
    for note in uniques:
        reason = _conflict(note, frees, uniques)
        items = None
        if reason is None:
            items = languages.get(id(note.item))
            if items is None:
                items, reason = _item_language(note)
                if items is not None:
                    languages[id(note.item)] = items
        if items is None:
            lw.refuse("uniqueItems", note.pointer, reason or "cannot be checked")
            continue
        checked.append(CheckedArrays(note.place, items, note.pointer))
    return UniquePlan(checked) if checked else None


def _conflict(note: ArrayNote, frees: list[Place], uniques: list[ArrayNote]) -> str | None:
    if any(steps_meet(note.place, place) for place in frees):
        return "arrays allowed at the same place by another part of the schema may repeat items"
    if any(o.item != note.item and steps_meet(note.place, o.place) for o in uniques):
        return "another unique array with different items may be at the same place"
    return None


def _item_language(note: ArrayNote) -> tuple[ItemLanguage | None, str | None]:
    """The item automaton and its stuck-prefix data, or (None, why it cannot be checked)."""
    item = note.item
    if note.open_kind not in (None, "string"):
        return ItemLanguage(None, note.min_items, literals=note.open_kind == "any"), None
    if item is None or not is_regular(item):
        return None, "items that recurse or hold any JSON value deeper down cannot be checked for repeats"
    try:
        dfa = ByteDFA.from_node(item, max_states=MAX_ITEM_STATES, max_seconds=MAX_ITEM_SECONDS)
    except BudgetExceeded:
        return None, "the item language is too large to check for repeats"
    items = ItemLanguage(dfa, note.min_items, strings=note.open_kind == "string")
    if note.min_items > 0 and items.finite[dfa.start] and _too_few(items, note.min_items):
        return None, "minItems is larger than the number of distinct items"
    return items, None


def _too_few(items: ItemLanguage, count: int) -> bool:
    """Whether a finite item language has fewer than ``count`` distinct values (searched like a stuck prefix)."""
    seen: set[Any] = set()
    for _ in range(count):
        found = items.new_completion(b"", False, False, frozenset(seen))
        if found is None:
            return True
        if found is MANY:
            return False
        seen.add(found)
    return False


def _live_states(dfa: ByteDFA) -> np.ndarray:
    """States from which an accepting state can be reached."""
    live = dfa.accepting.copy()
    table = dfa.table
    while True:
        more = live | live[table].any(axis=1)
        more[DEAD] = False
        if (more == live).all():
            return live
        live = more


def _string_room(dfa: ByteDFA, finite: np.ndarray) -> np.ndarray:
    """Per state, how many completions without a backslash it has (capped at ``ROOM_CAP``; infinite states: cap)."""
    classes = dfa.classes.astype(np.int64)
    per_class = np.bincount(classes, minlength=dfa.num_classes).astype(np.float64)
    per_class[classes[0x5C]] -= 1  # the backslash
    room = np.where(finite, 0.0, float(ROOM_CAP))
    room[DEAD] = 0.0
    done = ~finite | (np.arange(len(finite)) == DEAD)
    table = dfa.table
    while not done.all():
        ready = ~done & done[table].all(axis=1)  # finite states have only finite (or dead) successors: a DAG
        if not ready.any():
            break
        rows = np.flatnonzero(ready)
        room[rows] = np.minimum(dfa.accepting[rows] + (room[table[rows]] * per_class).sum(axis=1), ROOM_CAP)
        done |= ready
    return room


def _finite_states(dfa: ByteDFA) -> np.ndarray:
    """States with finitely many completions (none, for the dead and hopeless ones)."""
    finite = ~_live_states(dfa)
    table = dfa.table
    while True:
        more = finite | np.all(finite[table], axis=1)
        if (more == finite).all():
            return finite
        finite = more
