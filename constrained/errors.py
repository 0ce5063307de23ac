"""Typed failures of the constraint layer, grouped by who must act.

- ``InvalidConstraint``: the caller's input is wrong (bad regex syntax, schema that fails its meta-schema).
- ``UnsupportedFeature``: valid input that this compiler cannot enforce exactly; names the keyword/feature
  and where it is (a JSON pointer for schemas, an offset for regexes, a line for grammars).
- ``BudgetExceeded``: compiling would take too many states or too long.
- ``IncompatibleVocabulary``: a compiled constraint used with a different vocabulary.

A token the matcher rejects is *not* an exception: ``Matcher.advance`` returns False.
"""

from __future__ import annotations


class ConstraintError(Exception):
    """Base class of every error raised while compiling or using a constraint."""


class InvalidConstraint(ConstraintError):
    """The constraint itself is malformed.

    Attributes:
        location: where the problem is (JSON pointer, regex offset as ``"offset N"``, grammar ``"line N"``), or "".
    """

    def __init__(self, message: str, location: str = "") -> None:
        self.location = location
        super().__init__(f"{message} (at {location})" if location else message)


class UnsupportedFeature(ConstraintError):
    """A valid construct this compiler cannot enforce exactly, so it refuses instead of weakening it.

    Attributes:
        keyword: the schema keyword or grammar/regex feature, e.g. ``"uniqueItems"`` or ``"backreference"``.
        pointer: JSON pointer (schemas) or location text (regex offset, grammar line); ``""`` for the root.
        reason: a human sentence saying why, and what to do instead when there is an alternative.
    """

    def __init__(self, keyword: str, pointer: str = "", reason: str = "") -> None:
        self.keyword = keyword
        self.pointer = pointer
        self.reason = reason
        where = pointer if pointer else "(root)"
        text = f"unsupported {keyword!r} at {where}"
        super().__init__(f"{text}: {reason}" if reason else text)


class BudgetExceeded(ConstraintError):
    """Compiling exceeded a limit (automaton states, time); raised instead of hanging.

    Attributes:
        limit: the name of the limit, e.g. ``"max_states"`` or ``"max_compile_seconds"``.
        detail: the message without the limit's name.
    """

    def __init__(self, limit: str, message: str) -> None:
        self.limit = limit
        self.detail = message  # without the limit's name, for wrapping in a more specific message
        super().__init__(f"{message} (limit: {limit})")


class IncompatibleVocabulary(ConstraintError):
    """A compiled constraint or mask buffer does not match the vocabulary it is used with."""
