"""Near-miss negatives: valid samples with one small mutation, kept only when the constraint rejects them."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from constrained.byte_dfa import ByteDFA
from constrained.errors import BudgetExceeded
from constrained.fuzz.json_mutations import JSON_MUTATIONS
from constrained.fuzz.sampling import make_sampler
from constrained.fuzz.text_mutations import TEXT_MUTATIONS

WHITESPACE = re.compile(r"\s+")
TRIES_PER_NEGATIVE = 50  # mutation attempts per wanted negative before giving up (tiny or permissive languages)


@dataclass(frozen=True)
class Negative:
    """A text the constraint rejects, made from an accepted one.

    Attributes:
        text: the rejected text.
        mutation: which mutation made it (``"truncate"``, ``"json:drop_property"``, ...): the rule it breaks.
        detail: where and how (``"dropped $.name"``, ``"cut at 3 of 10"``).
        source: the accepted text it was made from.
    """

    text: str
    mutation: str
    detail: str
    source: str


def _squeeze(text: str) -> str:
    return WHITESPACE.sub("", text)


def _accepts(constraint: Any, text: str) -> bool | None:
    """Whether the constraint accepts ``text`` (None: the recognizer could not decide within its budgets)."""
    try:
        if isinstance(constraint, ByteDFA):
            return constraint.accepts(text.encode("utf-8"))
        return bool(constraint.accepts(text))
    except BudgetExceeded:
        return None


def _mutate_json(rng: random.Random, constraint: Any, name: str, source: str) -> tuple[str, str] | None:
    """Apply a JSON-level mutation to ``source``, re-serialized compactly.

    None when the mutation does not apply, or when the compact form of the unmutated sample is itself rejected
    (a rejection could then come from the formatting rather than from the mutation).
    """
    try:
        doc = json.loads(source)
    except ValueError:
        return None
    if not _accepts(constraint, json.dumps(doc, ensure_ascii=False, separators=(",", ":"))):
        return None
    changed = JSON_MUTATIONS[name](rng, doc)
    if changed is None:
        return None
    value, detail = changed
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")), detail


def iter_negatives(constraint: Any, n: int, *, seed: int = 0, max_length: int | None = None,
                   valid: Callable[[str], bool] | None = None) -> Iterator[Negative]:
    """Yield up to ``n`` distinct near-miss negatives (fewer if mutations keep producing accepted texts).

    JSON Schema constraints get JSON-level mutations (drop a property, wrong type, off-by-one length/count/bound,
    extra property, emptied container) besides the text-level ones (truncate, insert/delete/replace a character,
    extra comma, swapped adjacent tokens). ``valid`` (e.g. ``schema_validity(schema)``) is the source's own
    judgement: a mutant it calls valid is dropped even though the constraint rejects it (see ``schema_check``).
    """
    sampler = make_sampler(constraint, seed=seed, max_length=max_length)
    rng = random.Random(f"negatives-{seed}")  # its own stream: the valid samples stay those of ``sample``
    names = list(TEXT_MUTATIONS)
    is_json = getattr(constraint, "kind", None) == "json_schema"
    if is_json:
        names += list(JSON_MUTATIONS)
    seen: set[str] = set()
    made = 0
    for _ in range(TRIES_PER_NEGATIVE * n):
        if made >= n:
            return
        source = sampler.draw()
        name = names[rng.randrange(len(names))]
        if name in JSON_MUTATIONS:
            mutated = _mutate_json(rng, constraint, name, source)
        else:
            mutated = TEXT_MUTATIONS[name](rng, source)
            if mutated is not None and is_json and _squeeze(mutated[0]) == _squeeze(source):
                continue  # only whitespace moved: JSON ignores it, a rejection would be the whitespace policy's
        if mutated is None or mutated[0] in seen:
            continue
        text, detail = mutated
        if _accepts(constraint, text) is not False or (valid is not None and valid(text)):
            continue
        seen.add(text)
        made += 1
        yield Negative(text, name, detail, source)


def negatives(constraint: Any, n: int, *, seed: int = 0, max_length: int | None = None,
              valid: Callable[[str], bool] | None = None) -> list[Negative]:
    """A list of up to ``n`` near-miss negatives; see ``iter_negatives``.

    Args:
        constraint: a ``CompiledConstraint``, ``CompiledGrammar`` or ``ByteDFA``.
        n: how many.
        seed: same seed, same negatives.
        max_length: length budget of the valid samples they are made from.
        valid: optional check of the source itself (``schema_validity(schema)`` for a JSON Schema); a mutant
            it accepts is not a negative and is dropped.
    """
    return list(iter_negatives(constraint, n, seed=seed, max_length=max_length, valid=valid))
