"""Context-free grammars (Lark, GBNF) -> exact token masks.

Usage::

    from constrained.grammar import compile_grammar_constraint
    g = compile_grammar_constraint(text, "gbnf", vocab)   # or "lark"; vocab=None allows accepts() only
    g.accepts("...")                                        # whole-text check, no tokenizer needed
    m = g.matcher()                                         # same methods as the regex Matcher
    m.fill_bitmask(words); m.advance(token_id); m.rollback(1); m.copy()

Pipeline: front end (``gbnf`` / ``lark_loader``) -> IR (``ir``) -> Earley recognizer over regex terminals with an
all-split-points lexer (``earley``, ``parse_state``) -> token masks (``masks``) -> per-sequence ``matcher``.
"""

from constrained.grammar.compiled import CompiledGrammar, compile_grammar_constraint, load_grammar_ir
from constrained.grammar.earley import CompiledCFG, advance_bytes, is_accepting
from constrained.grammar.ir import Grammar
from constrained.grammar.masks import GrammarMaskIndex
from constrained.grammar.matcher import GrammarMatcher
from constrained.grammar.parse_state import GrammarParserState

__all__ = [
    "CompiledCFG",
    "CompiledGrammar",
    "Grammar",
    "GrammarMaskIndex",
    "GrammarMatcher",
    "GrammarParserState",
    "advance_bytes",
    "compile_grammar_constraint",
    "is_accepting",
    "load_grammar_ir",
]
