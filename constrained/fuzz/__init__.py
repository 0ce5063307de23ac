"""Grammar fuzzing: draw valid and near-miss strings from any compiled constraint (no model, no tokenizer).

Usage::

    import constrained
    from constrained import fuzz
    c = constrained.compile_json_schema(schema, None)
    texts = fuzz.sample(c, 100, seed=1, strategy="coverage")     # all accepted by c
    bad = fuzz.negatives(c, 100, seed=1, valid=fuzz.schema_validity(schema))  # rejected by c and by the schema
"""

from constrained.fuzz.coverage import STRATEGIES, Coverage
from constrained.fuzz.negatives import Negative, iter_negatives, negatives
from constrained.fuzz.sampling import Sampler, iter_samples, make_sampler, sample
from constrained.fuzz.schema_check import schema_validity

__all__ = ["STRATEGIES", "Coverage", "Negative", "Sampler", "iter_negatives", "iter_samples", "make_sampler",
           "negatives", "sample", "schema_validity"]
