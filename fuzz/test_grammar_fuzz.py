"""Grammar sampling: differential against Lark's Earley parser, budgets, coverage, GBNF, negatives."""

from __future__ import annotations

import pytest

import constrained
from constrained import fuzz
from fuzz.oracles import lark_oracle
from tests.conftest import shared_path

CALC = r"""
?start: sum
?sum: product | sum "+" product -> add | sum "-" product -> sub
?product: atom | product "*" atom -> mul | product "/" atom -> div
?atom: NUMBER -> number | "-" atom -> neg | NAME -> var | "(" sum ")"
%import common.NUMBER
%import common.CNAME -> NAME
%import common.WS_INLINE
%ignore WS_INLINE
"""
# Nullable, mutually recursive rules: the expansion must still terminate (safe productions past the depth limit).
NULLABLE = r"""
start: a b
a: "x" a | b |
b: a "y" | "z"*
"""
KV = r"""
start: pair ("," pair)*
pair: KEY "=" (VALUE | "[" [VALUE (";" VALUE)*] "]")
KEY: /[a-z]{1,4}/
VALUE: /[0-9]+|"[^"]*"/ | "true" | "false"
"""


@pytest.mark.parametrize("grammar", [CALC, NULLABLE, KV], ids=["calc", "nullable", "kv"])
def test_samples_parse_with_lark_in_every_strategy(grammar: str) -> None:
    g = constrained.compile_grammar(grammar, None)
    oracle = lark_oracle(grammar)
    for strategy in fuzz.STRATEGIES:
        for text in fuzz.sample(g, 25, seed=1, strategy=strategy, max_length=48):
            assert len(text.encode()) <= 48
            assert g.accepts(text) and oracle(text), (strategy, text)


def test_coverage_strategy_uses_every_alternative() -> None:
    g = constrained.compile_grammar(CALC, None)
    sampler = fuzz.make_sampler(g, seed=0, strategy="coverage", max_length=80)
    for _ in range(30):
        sampler.draw()
    cov = sampler.coverage()
    assert cov.unit == "grammar alternatives" and cov.covered == cov.total
    keywords = " | ".join(f'"k{i}"' for i in range(12))
    flat = constrained.compile_grammar(f"start: {keywords}", None)
    sampler = fuzz.make_sampler(flat, seed=0, strategy="coverage")
    assert sorted(sampler.draw() for _ in range(12)) == sorted(f"k{i}" for i in range(12))  # a new one each draw


def test_boundary_gives_the_shortest_sentence_and_long_ones() -> None:
    g = constrained.compile_grammar(KV, None)
    texts = fuzz.sample(g, 6, seed=0, strategy="boundary", max_length=50)
    assert min(len(t) for t in texts[0::2]) == 3  # "a=0": the shortest sentence
    assert all(len(t) >= 30 for t in texts[1::2])


def test_reproducible_and_seed_dependent() -> None:
    g = constrained.compile_grammar(CALC, None)
    assert fuzz.sample(g, 30, seed=9) == fuzz.sample(g, 30, seed=9)
    assert fuzz.sample(g, 30, seed=9) != fuzz.sample(g, 30, seed=10)


def test_negatives_are_rejected_by_lark_and_by_us() -> None:
    g = constrained.compile_grammar(KV, None)
    oracle = lark_oracle(KV)
    negs = fuzz.negatives(g, 40, seed=3, max_length=40)
    assert len(negs) == 40
    for neg in negs:
        assert not g.accepts(neg.text) and not oracle(neg.text), neg


def test_gbnf_grammar_samples() -> None:
    gbnf = r"""
root ::= item ("," ws item)*
item ::= [a-z]+ | "(" root ")"
ws ::= [ ]?
"""
    g = constrained.compile_grammar(gbnf, None, syntax="gbnf")
    texts = fuzz.sample(g, 50, seed=4, max_length=40)
    assert all(g.accepts(t) for t in texts)
    assert any("(" in t for t in texts)


def test_budget_below_the_shortest_sentence_is_a_clear_error() -> None:
    g = constrained.compile_grammar('start: "abc" "def"', None)
    with pytest.raises(ValueError, match="shortest"):
        fuzz.sample(g, 1, max_length=5)
    assert fuzz.sample(g, 1, max_length=6) == ["abcdef"]


def test_corpus_json_grammar_against_lark() -> None:
    path = shared_path("corpora", "lark-grammars", "examples", "standalone", "json.lark")
    text = path.read_text()
    g = constrained.compile_grammar(text, None)
    oracle = lark_oracle(text, path)
    texts = fuzz.sample(g, 40, seed=0, strategy="coverage", max_length=80)
    assert all(oracle(t) for t in texts)
