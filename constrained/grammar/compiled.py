"""``CompiledGrammar``: a Lark or GBNF grammar compiled for recognition and (with a vocabulary) token masks."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from constrained.errors import BudgetExceeded, InvalidConstraint
from constrained.grammar.earley import (
    DEFAULT_MAX_ITEMS,
    DEFAULT_MAX_LEXEMES,
    DEFAULT_MAX_SECONDS,
    DEFAULT_MAX_TERMINAL_STATES,
    DEFAULT_MAX_WORK,
    CompiledCFG,
)
from constrained.grammar.gbnf import parse_gbnf
from constrained.grammar.ir import Grammar, normalize
from constrained.grammar.lark_loader import parse_lark
from constrained.vocab import Vocabulary

if TYPE_CHECKING:
    from constrained.grammar.masks import GrammarMaskIndex
    from constrained.grammar.matcher import GrammarMatcher


class CompiledGrammar:
    """An immutable compiled grammar, optionally bound to a vocabulary.

    Attributes:
        kind: ``"grammar"``.
        syntax: ``"lark"`` or ``"gbnf"``.
        cfg: the ``CompiledCFG`` (terminal DFAs + Earley tables).
        vocab: the ``Vocabulary`` or None (then only ``accepts`` works).
    """

    kind = "grammar"
    weakened: tuple[str, ...] = ()  # grammars are always exact (same attribute as ``CompiledConstraint``)

    warm_seconds = 2.0  # vocabulary walks of the built terminals done at compile time (``GrammarMaskIndex.warm``)

    def __init__(self, syntax: str, cfg: CompiledCFG, vocab: Vocabulary | None) -> None:
        """Wrap a compiled CFG (use ``compile_grammar_constraint``)."""
        self.syntax = syntax
        self.cfg = cfg
        self.vocab = vocab
        self._index: GrammarMaskIndex | None = None
        self._lock = threading.Lock()

    def accepts(self, text: str | bytes) -> bool:
        """Whether the whole ``text`` is a sentence of the grammar (no tokenizer needed)."""
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        return self.cfg.accepts(data)

    @property
    def index(self) -> GrammarMaskIndex:
        """The mask index shared by all matchers (built on first use).

        Raises:
            InvalidConstraint: compiled without a vocabulary.
        """
        if self.vocab is None:
            raise InvalidConstraint("this grammar was compiled without a vocabulary (vocab=None)")
        from constrained.grammar.masks import GrammarMaskIndex

        with self._lock:
            if self._index is None:
                index = GrammarMaskIndex(self.cfg, self.vocab)
                index.warm(self.warm_seconds)
                self._index = index
            return self._index

    def matcher(self) -> GrammarMatcher:
        """A fresh per-sequence matcher at the start of the grammar."""
        from constrained.grammar.matcher import GrammarMatcher

        return GrammarMatcher(self.index)

    def describe(self) -> dict[str, object]:
        """What this grammar enforces, as a JSON-ready summary (used by ``constrained compile``)."""
        g = self.cfg.grammar
        return {
            "kind": self.kind,
            "syntax": self.syntax,
            "exact": True,
            "rules": len(g.rules),
            "terminals": len(g.terminals),
            "vocabulary": None if self.vocab is None else self.vocab.size,
        }

    def __repr__(self) -> str:
        g = self.cfg.grammar
        return f"CompiledGrammar(syntax={self.syntax!r}, rules={len(g.rules)}, terminals={len(g.terminals)})"


def load_grammar_ir(
    text: str, syntax: str, start: str | None = None, base_dir: str | None = None, inline: bool = True
) -> Grammar:
    """Parse grammar text into the normalized IR.

    Args:
        text: grammar text.
        syntax: ``"lark"`` or ``"gbnf"``.
        start: start rule (default ``"start"`` for Lark, ``"root"`` for GBNF).
        base_dir: Lark only: folder for relative ``%import`` (None refuses them).
        inline: GBNF only: inline non-recursive rules as regexes (see ``gbnf.parse_gbnf``).
    """
    if not isinstance(text, str):
        raise InvalidConstraint(f"grammar must be a string, got {type(text).__name__}")
    if syntax == "gbnf":
        g = parse_gbnf(text, start or "root", inline)
    elif syntax == "lark":
        g = parse_lark(text, start or "start", base_dir=base_dir)
    else:
        raise InvalidConstraint(f"unknown grammar syntax {syntax!r}; use 'lark' or 'gbnf'")
    return normalize(g)


def compile_grammar_constraint(
    text: str,
    syntax: str,
    vocab: Vocabulary | None,
    *,
    start: str | None = None,
    base_dir: str | None = None,
    max_terminal_states: int = DEFAULT_MAX_TERMINAL_STATES,
    max_items: int = DEFAULT_MAX_ITEMS,
    max_work: int = DEFAULT_MAX_WORK,
    max_lexemes: int = DEFAULT_MAX_LEXEMES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> CompiledGrammar:
    """Compile a Lark or GBNF grammar.

    Args:
        text: the grammar text.
        syntax: ``"lark"`` or ``"gbnf"``.
        vocab: the vocabulary, or None for ``accepts`` only.
        start: the start rule (default ``start`` for Lark, ``root`` for GBNF).
        base_dir: Lark only: the folder relative ``%import`` statements resolve against (None refuses them).
        max_terminal_states: DFA state budget per terminal.
        max_items: Earley items per set (a parse-state size budget, checked while parsing).
        max_work: completions per Earley set (bounds one step's time on highly ambiguous grammars).
        max_lexemes: lexemes in progress per parser state (checked while parsing).
        max_seconds: time budget for compiling the terminals.

    Raises:
        InvalidConstraint: syntax errors, undefined rules, missing start rule, empty language.
        UnsupportedFeature: a construct that cannot be enforced exactly (named, with its line/rule/terminal).
        BudgetExceeded: a terminal DFA too large, or compiling too slow.
    """
    def build(grammar: Grammar) -> CompiledCFG:
        return CompiledCFG(
            grammar, max_terminal_states=max_terminal_states, max_items=max_items, max_work=max_work,
            max_lexemes=max_lexemes, max_seconds=max_seconds,
        )  # fmt: skip

    try:
        cfg = build(load_grammar_ir(text, syntax, start, base_dir))
    except BudgetExceeded:
        if syntax != "gbnf":
            raise
        # Inlining made some terminal too large (a big non-recursive rule): keep the rules as CFG rules instead.
        cfg = build(load_grammar_ir(text, syntax, start, inline=False))
    return CompiledGrammar(syntax, cfg, vocab)
