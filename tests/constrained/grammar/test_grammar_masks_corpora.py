"""Fast masks == reference masks on random token walks over the corpus grammars (slow: run with ``-m slow``)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from constrained.grammar import compile_grammar_constraint
from constrained.vocab import Vocabulary
from tests.conftest import shared_path

FILES = [
    ("llama-cpp-grammars/grammars/json.gbnf", "gbnf"),
    ("llama-cpp-grammars/grammars/json_arr.gbnf", "gbnf"),
    ("llama-cpp-grammars/grammars/arithmetic.gbnf", "gbnf"),
    ("llama-cpp-grammars/grammars/c.gbnf", "gbnf"),
    ("llama-cpp-grammars/grammars/chess.gbnf", "gbnf"),
    ("outlines-grammars/src/outlines/grammars/json.lark", "lark"),
    ("outlines-grammars/src/outlines/grammars/arithmetic.lark", "lark"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("rel", "syntax"), FILES)
def test_corpus_grammar_masks(bpe_vocab: Vocabulary, rel: str, syntax: str) -> None:
    g = compile_grammar_constraint(shared_path("corpora", *rel.split("/")).read_text(), syntax, bpe_vocab)
    rng = random.Random(5)
    steps = 0
    for _ in range(5):
        m = g.matcher()
        text = b""
        for _ in range(40):
            assert np.array_equal(m.mask(), g.index.mask_reference(m.state)), text
            steps += 1
            ids = m.allowed_token_ids()
            if not ids or (m.is_accepting() and rng.random() < 0.1):
                break
            tok = rng.choice(ids)
            assert m.advance(tok)
            if tok in bpe_vocab.eos_token_ids:
                assert g.accepts(text)
                break
            text += bpe_vocab.token_bytes[tok] or b""
    assert steps > 20
