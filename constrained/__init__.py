"""Exact token-level constraints for any Hugging Face tokenizer (library API; no torch needed)."""

from constrained.errors import (
    BudgetExceeded,
    ConstraintError,
    IncompatibleVocabulary,
    InvalidConstraint,
    UnsupportedFeature,
)

__all__ = ["BudgetExceeded", "ConstraintError", "IncompatibleVocabulary", "InvalidConstraint", "UnsupportedFeature"]
