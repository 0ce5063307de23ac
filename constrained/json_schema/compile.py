"""A lowered schema -> a compiled constraint: a byte DFA when regular, else an Earley grammar over regex terminals.

Both results have the same interface (``accepts``, ``matcher()``, ``weakened``, ``describe()``), so callers never
need to know which one they got. The grammar is used when the lowering needed rules (recursive ``$ref`` or
unbounded "any value"), which keeps the exact language without a depth bound, and for schemas too big to be one
automaton (``split.py``: their shared parts become rules).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constrained.compiler import CompiledConstraint
from constrained.errors import InvalidConstraint
from constrained.grammar.compiled import CompiledGrammar
from constrained.grammar.earley import CompiledCFG
from constrained.grammar.ir import normalize
from constrained.regex_ast import NOTHING
from constrained.vocab import Vocabulary

from . import LoweredSchema
from .checked_matcher import WithRunTimeChecks
from .rules import to_grammar
from .split import split_large

if TYPE_CHECKING:
    from constrained.byte_dfa import ByteDFA

# Compile-time work for grammars lowered from schemas (the rest happens on first use, see ``CompiledCFG``): enough
# for most schemas to be fully built, while a large one still compiles in well under a second.
EAGER_SECONDS = 0.8  # terminal automata built ahead
WARM_SECONDS = 1.0  # their vocabulary walks done ahead


class CompiledSchemaGrammar(WithRunTimeChecks, CompiledGrammar):
    """A JSON Schema compiled to a grammar (recursive or unbounded-depth parts), exact at any depth.

    Attributes:
        weakened: what a lenient compile weakened (empty when exact).
        bounded: JSON pointers where a stated depth bound still applies (recursion through merged schemas).
        ignored: keywords that carry no check (see ``CompiledConstraint.ignored``).
    """

    kind = "json_schema"
    warm_seconds = WARM_SECONDS

    def __init__(self, cfg: CompiledCFG, vocab: Vocabulary | None, lowered: LoweredSchema) -> None:
        """Wrap the compiled grammar of a schema (use ``compile_lowered``)."""
        super().__init__("json_schema", cfg, vocab)
        self.weakened = list(lowered.weakened)  # type: ignore[assignment]
        self.bounded = list(lowered.bounded)
        self.ignored = list(lowered.ignored)
        self.checks = lowered.checks

    def describe(self) -> dict[str, object]:
        """What this constraint enforces, as a JSON-ready summary."""
        out = super().describe()
        out.update(
            exact=not self.weakened and not self.bounded,
            weakened=[dict(vars(w)) for w in self.weakened],
            bounded=list(self.bounded),
            ignored=[dict(vars(note)) for note in self.ignored],
            engine="grammar",
        )
        return out


def compile_lowered(
    lowered: LoweredSchema, vocab: Vocabulary | None, max_states: int, max_seconds: float
) -> CompiledConstraint | CompiledSchemaGrammar:
    """Compile a lowering result: the regex path when it is regular, the grammar path otherwise.

    Raises:
        BudgetExceeded: an automaton (or a grammar terminal) too large or too slow to build.
    """
    node, rules = split_large(lowered.node, lowered.rules)  # big schemas: shared parts become rules
    if not rules:
        from constrained.byte_dfa import ByteDFA

        dfa = ByteDFA.from_node(node, max_states=max_states, max_seconds=max_seconds)
        return _regular(dfa, vocab, lowered)
    try:
        grammar = normalize(to_grammar(node, rules))
    except InvalidConstraint:  # the language is empty (e.g. a required property that must recurse forever)
        from constrained.byte_dfa import ByteDFA

        return _regular(ByteDFA.from_node(NOTHING), vocab, lowered)
    cfg = CompiledCFG(
        grammar, max_terminal_states=max_states, max_seconds=max_seconds, lazy_terminals=True,
        eager_seconds=EAGER_SECONDS,
    )  # fmt: skip
    compiled = CompiledSchemaGrammar(cfg, vocab, lowered)
    if vocab is not None:
        compiled.index  # noqa: B018 -- build the shared mask index once, at compile time
    return compiled


class CompiledSchema(WithRunTimeChecks, CompiledConstraint):
    """A JSON Schema compiled to one byte DFA (plus run-time checks where the schema has them)."""


def _regular(dfa: ByteDFA, vocab: Vocabulary | None, lowered: LoweredSchema) -> CompiledConstraint:
    compiled = CompiledSchema("json_schema", dfa, vocab, lowered.weakened, lowered.bounded, lowered.ignored)
    compiled.checks = lowered.checks
    return compiled
