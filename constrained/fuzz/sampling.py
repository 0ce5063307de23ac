"""``sample``: draw strings a compiled constraint accepts, from its automaton alone (no model, no tokenizer)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any, Protocol

from constrained.byte_dfa import ByteDFA
from constrained.fuzz.coverage import Coverage, check_strategy
from constrained.fuzz.dfa_walk import DEFAULT_MAX_LENGTH, DFAWalker
from constrained.fuzz.grammar_walk import GrammarSampler

UNIQUE_TRIES_PER_SAMPLE = 20  # draws allowed per wanted unique sample before the language counts as exhausted


class Sampler(Protocol):
    """What ``make_sampler`` returns: one seeded stream of accepted texts plus its coverage so far."""

    max_length: int

    def draw(self) -> str:
        """The next accepted text."""
        ...

    def coverage(self) -> Coverage:
        """Coverage of the automaton or grammar by the texts drawn so far."""
        ...


class DFASampler:
    """Draws texts accepted by a ``ByteDFA`` (regex, choice and JSON Schema constraints)."""

    def __init__(self, dfa: ByteDFA, *, seed: int, max_length: int | None, strategy: str) -> None:
        """See ``sample`` (raises ``ValueError`` for an empty language or a budget below the shortest text)."""
        self.walker = DFAWalker(dfa)
        self.rng = random.Random(seed)
        self.max_length = max_length if max_length is not None else max(DEFAULT_MAX_LENGTH, 2 * self.walker.shortest)
        if self.walker.shortest > self.max_length:
            raise ValueError(f"the shortest accepted text has {self.walker.shortest} bytes, more than max_length "
                             f"{self.max_length}")
        self.strategy = strategy
        self.count = 0

    def draw(self) -> str:
        """The next accepted text."""
        mode = self.strategy
        if mode == "boundary":  # alternate the two ends: fewest items / shortest strings, then the most that fit
            mode = ("shortest", "longest")[self.count % 2]
        self.count += 1
        return self.walker.walk(self.rng, self.max_length, mode).decode("utf-8")

    def coverage(self) -> Coverage:
        """See ``DFAWalker.coverage``."""
        return self.walker.coverage()


def make_sampler(constraint: Any, *, seed: int = 0, max_length: int | None = None,
                 strategy: str = "random", check: bool = True) -> Sampler:
    """A sampler for a ``CompiledConstraint``, a ``CompiledGrammar`` or a bare ``ByteDFA``.

    Args:
        constraint: what to sample from (compiled with or without a vocabulary).
        seed: the random seed; the same seed gives the same texts.
        max_length: the length budget in bytes (default: 256, or twice the shortest text if that is longer).
        strategy: ``"random"``, ``"coverage"`` (head for unused transitions / alternatives) or ``"boundary"``
            (alternately the shortest texts and the longest that fit the budget).
        check: grammars only: verify each text with the Earley recognizer (the DFA walks need no check).

    Raises:
        ValueError: unknown strategy, empty language, or ``max_length`` below the shortest text.
        TypeError: ``constraint`` is none of the supported kinds.
    """
    check_strategy(strategy)
    if isinstance(constraint, ByteDFA):
        return DFASampler(constraint, seed=seed, max_length=max_length, strategy=strategy)
    if isinstance(getattr(constraint, "dfa", None), ByteDFA):
        return DFASampler(constraint.dfa, seed=seed, max_length=max_length, strategy=strategy)
    cfg = getattr(constraint, "cfg", None)
    if cfg is not None:
        return GrammarSampler(cfg, seed=seed, max_length=max_length, strategy=strategy, check=check)
    raise TypeError(f"cannot sample from {type(constraint).__name__}; compile it with constrained.compile_* first")


def iter_samples(sampler: Sampler, n: int, *, unique: bool = False) -> Iterator[str]:
    """Yield ``n`` texts from ``sampler`` (fewer if ``unique`` and the language runs out of new ones)."""
    if not unique:
        for _ in range(n):
            yield sampler.draw()
        return
    seen: set[str] = set()
    misses = 0
    while len(seen) < n and misses < UNIQUE_TRIES_PER_SAMPLE * n:
        text = sampler.draw()
        if text in seen:
            misses += 1
            continue
        seen.add(text)
        yield text


def sample(constraint: Any, n: int, *, seed: int = 0, max_length: int | None = None, unique: bool = False,
           strategy: str = "random") -> list[str]:
    """Draw ``n`` texts that ``constraint`` accepts.

    Args:
        constraint: a ``CompiledConstraint`` (regex, choice, JSON Schema), a ``CompiledGrammar`` or a ``ByteDFA``.
        n: how many texts.
        seed: same seed, same texts (byte for byte); different seeds give different texts.
        max_length: the length budget in bytes (see ``make_sampler``).
        unique: no repeats; fewer than ``n`` texts come back when the language (within the budget) has fewer.
        strategy: ``"random"``, ``"coverage"`` or ``"boundary"`` (see ``make_sampler``).

    Raises:
        ValueError: unknown strategy, empty language, or ``max_length`` below the shortest text.
    """
    sampler = make_sampler(constraint, seed=seed, max_length=max_length, strategy=strategy)
    return list(iter_samples(sampler, n, unique=unique))
