"""Large schemas as grammars (``json_schema/split.py``): same language as the single automaton, far smaller."""

from __future__ import annotations

import json

import jsonschema
import pytest

import constrained
from constrained import fuzz
from constrained.byte_dfa import ByteDFA
from constrained.grammar.compiled import CompiledGrammar
from constrained.grammar.earley import CompiledCFG
from constrained.grammar.ir import normalize
from constrained.json_schema import lower_json_schema, split
from constrained.json_schema.compile import compile_lowered
from constrained.json_schema.rules import rule_ref, to_grammar
from constrained.regex_ast import Repeat, literal, seq

SCHEMAS = [
    {
        "$defs": {"point": {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "number"}},
                            "required": ["x"], "additionalProperties": False}},
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/point"}, "b": {"$ref": "#/$defs/point"},
                       "path": {"type": "array", "items": {"$ref": "#/$defs/point"}, "maxItems": 3}},
        "additionalProperties": False,
    },
    {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 4},
               {"type": "object", "properties": {"k": {"type": "boolean"}}, "additionalProperties": False}]},
    {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0,
                                                                       "maximum": 99}},
                                "additionalProperties": False}, "minItems": 1, "maxItems": 6},
]


@pytest.fixture
def tiny_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(split, "SPLIT_ABOVE", 0)
    monkeypatch.setattr(split, "SHARED_MIN", 2)
    monkeypatch.setattr(split, "PIECE_MAX", 40)


@pytest.mark.parametrize("schema", SCHEMAS, ids=range(len(SCHEMAS)))
def test_split_grammar_accepts_exactly_what_the_automaton_accepts(schema: dict, tiny_thresholds: None) -> None:
    lowered = lower_json_schema(schema, whitespace="compact")
    assert lowered.regular
    whole = ByteDFA.from_node(lowered.node)
    parts = compile_lowered(lowered, None, 100_000, 10.0)
    assert parts.describe()["engine"] == "grammar"  # the thresholds forced the split
    texts = fuzz.sample(whole, 150, seed=1) + [g.text for g in fuzz.negatives(whole, 150, seed=2)]
    for text in texts:
        assert parts.accepts(text) == whole.accepts(text.encode()), text
    for text in texts[:150]:  # and the samples are valid instances
        jsonschema.validate(json.loads(text), schema)


def test_a_definition_used_everywhere_compiles_as_rules_not_copies() -> None:
    # 40 properties, each a 12-property object of bounded strings: one automaton would copy the definition 40 times
    item = {"type": "object", "additionalProperties": False,
            "properties": {f"f{i}": {"type": "string", "maxLength": 40} for i in range(12)}}
    schema = {"$defs": {"item": item}, "type": "object", "additionalProperties": False,
              "properties": {f"p{i}": {"$ref": "#/$defs/item"} for i in range(40)}}
    lowered = lower_json_schema(schema)
    assert split.estimated_size(lowered.node, lowered.rules) > split.SPLIT_ABOVE
    compiled = constrained.compile_json_schema(schema, None, max_seconds=5.0)
    assert compiled.describe()["engine"] == "grammar"
    assert compiled.accepts('{"p0":{"f1":"x"},"p7":{}}')
    assert not compiled.accepts('{"p0":{"f1":"' + "x" * 41 + '"}}')
    assert not compiled.accepts('{"p0":{"g":"x"}}')


def test_a_shared_repetition_keeps_its_mandatory_copies_in_the_grammar() -> None:
    # The same node used twice: the second use must still demand two "a"s (it once became only its optional tail).
    twice = Repeat(rule_ref("r"), 2, 3)
    grammar = CompiledCFG(normalize(to_grammar(seq(twice, literal(","), twice), {"r": literal("a")})))
    accepts = CompiledGrammar("grammar", grammar, None).accepts
    assert accepts("aa,aa") and accepts("aaa,aa")
    assert not accepts("aa,a") and not accepts("a,aa") and not accepts("aa,")


@pytest.mark.parametrize("max_length", [5, 12])
def test_split_grammar_with_recursive_rules_matches_the_unsplit_one(
    max_length: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = {"type": "object", "required": ["message"],
              "properties": {"from": {"type": "object"},
                             "message": {"type": "string", "minLength": 3, "maxLength": max_length}}}
    lowered = lower_json_schema(schema, whitespace="compact")
    whole = compile_lowered(lowered, None, 100_000, 10.0)
    monkeypatch.setattr(split, "SPLIT_ABOVE", 0)
    monkeypatch.setattr(split, "SHARED_MIN", 2)
    monkeypatch.setattr(split, "PIECE_MAX", 40)
    parts = compile_lowered(lowered, None, 100_000, 10.0)
    texts = fuzz.sample(whole, 100, seed=3) + [g.text for g in fuzz.negatives(whole, 100, seed=4)]
    texts += ['{"message":"ab"}', '{"from":{"a":[1]},"message":"abc"}', '{"message":"' + "x" * (max_length + 1) + '"}']
    for text in texts:
        assert parts.accepts(text) == whole.accepts(text), text
