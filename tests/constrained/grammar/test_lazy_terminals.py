"""Grammars lowered from JSON schemas build a terminal's DFA when the parse first expects it.

Verdicts and masks are those of the eagerly built grammar; a terminal over its budget raises ``BudgetExceeded``
(naming the terminal) from the step that first expects it; tokens that cross several terminals are followed by
the vectorized rest walk, whose masks equal the reference walk of every token.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

import constrained
from constrained.grammar import masks
from constrained.grammar.earley import CompiledCFG
from constrained.grammar.rest_walk import RestWalker
from constrained.json_schema import compile as schema_compile
from constrained.vocab import Vocabulary

# A linked list whose nodes carry optional fields: the deeper fields' terminals are met only in some documents.
NODE = {
    "type": "object",
    "properties": {
        "next": {"anyOf": [{"$ref": "#/$defs/node"}, {"type": "null"}]},
        "name": {"type": "string", "maxLength": 8},
        "size": {"type": "integer", "minimum": 0, "maximum": 999},
        "tags": {"type": "array", "items": {"enum": ["x", "yz"]}, "maxItems": 3},
    },
    "required": ["next"],
    "additionalProperties": False,
}
SCHEMA = {"$defs": {"node": NODE}, "$ref": "#/$defs/node"}
TEXTS = [
    '{"next":null}',
    '{"next":{"next":null,"name":"ab"}}',
    '{"next":{"next":{"next":null,"size":12,"tags":["x","yz"]}},"name":""}',
    '{"next":null,"tags":[]}',
    '{"next": {"next": null}, "size": 999}',
    '{"next":null,"size":1000}',
    '{"next":null,"name":"123456789"}',
    '{"next":null,"tags":["x","x","x","x"]}',
    '{"name":"a","next":null}',
    '{"next":{"next":null}',
    '{"next":null,"tags":["y"]}',
]
OVER_BUDGET = {
    "$defs": {"node": {**NODE, "properties": {**NODE["properties"], "tag": {"pattern": "^[ab]*a[ab]{9}$"}}}},
    "$ref": "#/$defs/node",
}
PIECES = ['{"', '":', '":{"', 'next', '":null', "null}", "}}", "}}}", ',"', '","', '":"', '":[', '"]', '"]}',
          "],", '":1', "99}", ', "', " {", "]}}", '"x","yz"]', "tags", "size", "name"]  # fmt: skip


@pytest.fixture
def no_building_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compile with nothing built ahead, so every terminal but the first ones waits for the parse."""
    monkeypatch.setattr(schema_compile, "EAGER_SECONDS", 0.0)
    constrained.clear_cache()


def test_small_schemas_are_built_ahead_and_refused_at_compile() -> None:
    constrained.clear_cache()
    compiled = constrained.compile_json_schema(SCHEMA, None)
    assert len(compiled.cfg.built_terminals()) == len(compiled.cfg.term_names)
    with pytest.raises(constrained.BudgetExceeded):
        constrained.compile_json_schema(OVER_BUDGET, None, max_states=600)


@pytest.mark.usefixtures("no_building_ahead")
def test_terminals_are_built_when_first_expected() -> None:
    compiled = constrained.compile_json_schema(SCHEMA, None)
    cfg = compiled.cfg
    total = len(cfg.term_names)
    at_compile = set(cfg.built_terminals())
    assert 0 < len(at_compile) < total
    eager = CompiledCFG(cfg.grammar)  # the same grammar, every terminal built up front
    assert len(eager.built_terminals()) == total
    for text in TEXTS:
        assert compiled.accepts(text) == eager.accepts(text.encode()), text
    assert at_compile < set(cfg.built_terminals())
    assert [compiled.accepts(t) for t in TEXTS] == [True] * 5 + [False] * 6


@pytest.mark.usefixtures("no_building_ahead")
def test_terminal_over_budget_raises_when_first_expected() -> None:
    compiled = constrained.compile_json_schema(OVER_BUDGET, None, max_states=600)  # builds too little to fail
    with pytest.raises(constrained.BudgetExceeded) as info:
        compiled.accepts('{"next":null,"tag":"ab"}')
    assert info.value.limit == "max_states" and str(info.value).startswith("terminal T")
    with pytest.raises(constrained.BudgetExceeded) as again:  # remembered, not rebuilt
        compiled.accepts('{"next":null,"tag":"ba"}')
    assert str(again.value) == str(info.value)


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    tokens: list[bytes | None] = [bytes([b]) for b in range(32, 127)] + [p.encode() for p in PIECES] + [b"</s>"]
    return Vocabulary.from_token_bytes(tokens, eos_token_ids=[len(tokens) - 1])


@pytest.mark.parametrize("few", [0, masks.FEW_CROSSING_TOKENS])
def test_masks_with_tokens_across_terminals_equal_reference(
    vocab: Vocabulary, monkeypatch: pytest.MonkeyPatch, few: int
) -> None:
    """Both ways of following token rests past a lexeme (arrays set by set; the parser's byte walk)."""
    monkeypatch.setattr(masks, "FEW_CROSSING_TOKENS", few)
    constrained.clear_cache()
    followed: list[int] = []
    real = RestWalker.viable

    def spy(self: RestWalker, todo: list) -> np.ndarray:  # type: ignore[type-arg]
        got = real(self, todo)
        followed.append(len(got))
        return got

    monkeypatch.setattr(RestWalker, "viable", spy)
    compiled = constrained.compile_json_schema(SCHEMA, vocab)
    index = compiled.index
    rng = random.Random(11)
    steps = crossing = 0
    for _ in range(10):
        m = compiled.matcher()
        for _ in range(40):
            state = m.state
            assert state is not None
            fast = m.mask()
            assert np.array_equal(fast, index.mask_reference(state))
            steps += 1
            allowed = [i for i in m.allowed_token_ids() if i not in vocab.eos_token_ids]
            if not allowed:
                break
            long = [i for i in allowed if len(vocab.token_bytes[i] or b"") > 2]
            crossing += bool(long)
            assert m.advance(rng.choice(long if long and rng.random() < 0.7 else allowed))
    assert steps > 150 and crossing > 50
    if few == 0:
        assert len(followed) >= 5 and sum(followed) > 0  # rests crossing a second terminal were followed
