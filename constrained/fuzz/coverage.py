"""``Coverage``: how much of a constraint's automaton or grammar the samples drawn so far have exercised."""

from __future__ import annotations

from dataclasses import dataclass

STRATEGIES = ("random", "coverage", "boundary")


@dataclass(frozen=True)
class Coverage:
    """A coverage figure with the unit it counts.

    Attributes:
        unit: what is counted: ``"dfa transitions"`` ((state, byte class) edges of the constraint's DFA; for a
            JSON Schema this is the proxy for "every branch / enum value / property") or ``"grammar alternatives"``
            (productions of the normalized grammar).
        covered: how many were used by at least one sample.
        total: how many exist (some may be out of reach within the length budget).
        detail: secondary figures (states covered, terminals used, ...).
    """

    unit: str
    covered: int
    total: int
    detail: dict[str, int]

    @property
    def ratio(self) -> float:
        """``covered / total`` (1.0 when there is nothing to cover)."""
        return self.covered / self.total if self.total else 1.0

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (used by the CLI summary and the corpus runner)."""
        return {"unit": self.unit, "covered": self.covered, "total": self.total, "ratio": round(self.ratio, 4),
                **self.detail}


def check_strategy(strategy: str) -> None:
    """Raise ``ValueError`` for an unknown strategy name."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
