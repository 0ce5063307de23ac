"""Stop strings across token boundaries, without ever emitting part of a stop string.

The checker sits between the detokenizer and the output: it receives text pieces and releases text that is known
not to belong to a stop string. It holds back the longest tail that is a proper prefix of some stop string, so a
stop string can only ever start inside the held text; searching the held text alone is therefore complete, and
each piece costs time proportional to the held text and the stop strings, not to the whole output.

When several stop strings occur, the one that completes first wins (ties: the one that starts first). That is the
one a character-by-character stream would have seen first, so the result does not depend on how the text was
split into tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class StopMatch:
    """A stop string found in the output.

    Attributes:
        stop: the stop string that matched.
        text: the text released with the match (before the stop, plus the stop itself when it is kept).
    """

    stop: str
    text: str


class StopChecker:
    """Releases text that cannot be part of a stop string, and reports the first stop string.

    Args:
        stops: the stop strings (non-empty).
        include_stop: release the stop string itself with the match.
    """

    def __init__(self, stops: Sequence[str], include_stop: bool = False) -> None:
        self._stops = tuple(stops)
        self._include_stop = include_stop
        self._held = ""

    @property
    def held_text(self) -> str:
        """Text received but not released yet (a possible start of a stop string)."""
        return self._held

    def push(self, text: str, active: bool = True) -> tuple[str, StopMatch | None]:
        """Add a piece of text.

        Args:
            text: the new text.
            active: whether stop strings may end the output now (False before ``min_tokens``: a stop string
                that completes then is ordinary text).

        Returns:
            ``(released, None)`` with the text now known not to be part of a stop, or ``("", match)`` when a stop
            string completed; after a match the checker should not be used again.
        """
        if not self._stops:
            return text, None
        held = self._held + text
        if active:
            match = self._first_match(held, new_from=len(self._held))
            if match is not None:
                self._held = ""
                return "", match
        keep = self._partial_stop_length(held)
        self._held = held[len(held) - keep :]
        return held[: len(held) - keep], None

    def flush(self) -> str:
        """End of output: release the held text (it never became a stop string)."""
        held, self._held = self._held, ""
        return held

    def _first_match(self, text: str, new_from: int) -> StopMatch | None:
        """The stop string that completes first inside ``text[new_from:]`` (earlier ones were inactive)."""
        best: tuple[int, int, str] | None = None
        for stop in self._stops:
            start = text.find(stop, max(0, new_from - len(stop) + 1))
            if start >= 0:
                candidate = (start + len(stop), start, stop)
                if best is None or candidate[:2] < best[:2]:
                    best = candidate
        if best is None:
            return None
        end, start, stop = best
        return StopMatch(stop, text[:end] if self._include_stop else text[:start])

    def _partial_stop_length(self, text: str) -> int:
        """Length of the longest suffix of ``text`` that is a proper prefix of a stop string."""
        longest = 0
        for stop in self._stops:
            for length in range(min(len(stop) - 1, len(text)), longest, -1):
                if text.endswith(stop[:length]):
                    longest = length
                    break
        return longest
