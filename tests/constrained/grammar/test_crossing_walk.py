"""Grammar masks where tokens cross several terminals (cached crossing splits) equal the reference byte walk."""

from __future__ import annotations

import random

import numpy as np
import pytest

from constrained.grammar import compile_grammar_constraint
from constrained.vocab import Vocabulary

# Unary minus chains, an ignored space, words and numbers: tokens that end one lexeme and start several more.
ARITH = 'start: e\ne: e ADD t | t\nt: NUM | "-" t | "(" e ")" | WORD\nADD: "+" | "-"\nNUM: /[0-9]+(\\.[0-9]+)?/\n' \
        'WORD: /[a-z]+/\n%ignore " "'  # fmt: skip
KV = 'root ::= pair ("," ws pair)*\npair ::= [a-z]+ "=" [0-9]+\nws ::= [ ]*'
PIECES = [b"---", b"----", b"- -", b"-(", b"1-", b"1.", b".5", b"5)", b")+", b"+-", b" -", b"  ", b"ab1", b"a=",
          b"=1", b"1,", b", ", b",a", b"2 ", b"(-", b"--1", b"x+y", b"9.9", b"1 + 2", b"a=1,b"]  # fmt: skip


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    tokens: list[bytes | None] = [bytes([b]) for b in range(32, 127)] + PIECES + [b"</s>"]
    return Vocabulary.from_token_bytes(tokens, eos_token_ids=[len(tokens) - 1])


@pytest.mark.parametrize(("grammar", "syntax"), [(ARITH, "lark"), (KV, "gbnf")])
def test_crossing_masks_equal_reference(vocab: Vocabulary, grammar: str, syntax: str) -> None:
    g = compile_grammar_constraint(grammar, syntax, vocab)
    rng = random.Random(7)
    steps = 0
    for _ in range(6):
        m = g.matcher()
        for _ in range(30):
            state = m.state
            assert state is not None
            # Fast masks reuse crossing splits cached across parse contexts; the reference walks every token.
            assert np.array_equal(m.mask(), g.index.mask_reference(state))
            steps += 1
            allowed = [i for i in m.allowed_token_ids() if i not in vocab.eos_token_ids]
            if not allowed:
                break
            assert m.advance(rng.choice(allowed))
    assert steps > 60
    assert g.index._splits  # noqa: SLF001 -- the cache was exercised
