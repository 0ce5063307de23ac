r"""Exact token masks from regexes, choice lists and JSON Schemas, for any tokenizer; no torch needed.

Usage::

    import constrained
    vocab = constrained.Vocabulary.from_file("tokenizer.json")
    c = constrained.compile_regex(r"\d{3}-\d{4}", vocab)          # or compile_choice / compile_json_schema
    m = c.matcher()
    words = numpy.zeros((vocab.size + 31) // 32, dtype=numpy.int32)
    m.fill_bitmask(words)                                       # bit t & 31 of words[t >> 5] allows token t
    m.advance(token_id)                                         # False if not allowed (state unchanged)
    m.is_accepting(), m.is_terminated(), m.rollback(1), m.copy()
"""

from constrained.byte_dfa import ByteDFA
from constrained.compiler import (
    COMPILER_VERSION,
    CompiledConstraint,
    clear_cache,
    compile_choice,
    compile_grammar,
    compile_json_schema,
    compile_regex,
)
from constrained.errors import (
    BudgetExceeded,
    ConstraintError,
    IncompatibleVocabulary,
    InvalidConstraint,
    UnsupportedFeature,
)
from constrained.matcher import Matcher
from constrained.regex_parser import parse_regex
from constrained.vocab import Vocabulary
from constrained.warmup import warm_up

__all__ = [
    "COMPILER_VERSION",
    "BudgetExceeded",
    "ByteDFA",
    "CompiledConstraint",
    "ConstraintError",
    "IncompatibleVocabulary",
    "InvalidConstraint",
    "Matcher",
    "UnsupportedFeature",
    "Vocabulary",
    "clear_cache",
    "compile_choice",
    "compile_grammar",
    "compile_json_schema",
    "compile_regex",
    "parse_regex",
    "warm_up",
]
