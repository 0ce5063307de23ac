"""The checks a schema's automaton cannot hold, applied while generating: distinct items, object keys.

``unique_plan.py`` (``uniqueItems`` over large item domains) and ``key_plan.py`` (wide objects in any order) say
which arrays and objects are checked; ``checked_matcher.py`` applies both token by token through one JSON
scanner (``json_scanner.py``), and ``accepts_text`` applies them to a whole text.
"""

from __future__ import annotations

import json
from typing import Any

from .key_plan import KeyPlan, ObjectCheck
from .unique_plan import ItemLanguage, UniquePlan, canonical, parse_json


class _Members(dict[str, Any]):
    """An object's members, with how many the text wrote (more than ``len`` when a key repeats)."""

    written = 0


def _members(pairs: list[tuple[str, Any]]) -> _Members:
    out = _Members(pairs)
    out.written = len(pairs)
    return out


class RunTimeChecks:
    """The run-time checks of one compiled schema (either part may be None)."""

    def __init__(self, unique: UniquePlan | None, keys: KeyPlan | None) -> None:
        """Combine the array and object checks."""
        self.unique = unique
        self.keys = keys

    def array_at(self, path: tuple[str | int, ...]) -> ItemLanguage | None:
        """The item language when the array at instance ``path`` must have distinct items, else None."""
        return None if self.unique is None else self.unique.at(path)

    def object_at(self, path: tuple[str | int, ...]) -> ObjectCheck | None:
        """The key check of the object at instance ``path``, else None."""
        return None if self.keys is None else self.keys.find(path)

    def describe(self) -> dict[str, list[str]]:
        """The keywords checked while generating, by JSON pointer."""
        out = {}
        if self.unique is not None:
            out["unique_items_checked"] = self.unique.pointers
        if self.keys is not None:
            out["object_keys_checked"] = self.keys.pointers
        return out

    def accepts_text(self, data: bytes) -> bool:
        """Whether the JSON ``data`` passes every check (``data`` must be JSON)."""
        try:
            value = parse_json(data, _members)
        except ValueError:
            return False
        return self._holds(value, ())

    def _holds(self, value: Any, path: tuple[str | int, ...]) -> bool:
        if isinstance(value, _Members):
            check = self.object_at(path)
            if check is not None:
                keys = {canonical(k) for k in value}
                written = [json.dumps(k, ensure_ascii=False).encode() for k in value]
                options = [o for o in check.options if all(o.keys.holds(w) for w in written)]
                if value.written != len(value) or not any(o.required <= keys for o in options):
                    return False
            return all(self._holds(v, (*path, k)) for k, v in value.items())
        if not isinstance(value, list):
            return True
        if self.array_at(path) is not None:
            items = [canonical(v) for v in value]
            if len(set(items)) != len(items):
                return False
        return all(self._holds(v, (*path, i)) for i, v in enumerate(value))
