"""JSON Schema differential: samples valid and negatives invalid for ``jsonschema`` (formats asserted)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import constrained
from constrained import fuzz
from fuzz.oracles import json_schema_oracle

SCHEMAS: list[dict[str, Any]] = [
    {"type": "object", "properties": {"name": {"type": "string", "maxLength": 5},
                                      "age": {"type": "integer"}},
     "required": ["name", "age"], "additionalProperties": False},
    {"type": "array", "items": {"enum": ["red", "green", "blue", 7, None]}, "minItems": 2, "maxItems": 4},
    {"type": "object", "properties": {"when": {"type": "string", "format": "date-time"},
                                      "ip": {"type": "string", "format": "ipv4"},
                                      "id": {"type": "string", "format": "uuid"}},
     "required": ["when", "ip", "id"], "additionalProperties": False},
    {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "boolean"},
               {"type": "string", "pattern": "^[A-Z]{2}-[0-9]{3}$"}]},
    {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string", "maxLength": 3},
                                               "uniqueItems": False, "maxItems": 3},
                                      "meta": {"type": "object", "additionalProperties": {"type": "integer"}}},
     "required": ["tags"]},
]
KNOWN_MUTATIONS = {"truncate", "insert_char", "delete_char", "replace_char", "extra_comma", "swap_tokens",
                   "json:drop_property", "json:extra_property", "json:wrong_type", "json:off_by_one",
                   "json:empty_container"}


@pytest.mark.parametrize("index", range(len(SCHEMAS)))
def test_samples_are_valid_for_jsonschema_in_every_strategy(index: int) -> None:
    schema = SCHEMAS[index]
    c = constrained.compile_json_schema(schema, None)
    oracle = json_schema_oracle(schema)
    for strategy in fuzz.STRATEGIES:
        for text in fuzz.sample(c, 120, seed=index, strategy=strategy):
            assert c.accepts(text)
            assert oracle(text), (strategy, text)


@pytest.mark.parametrize("index", range(len(SCHEMAS)))
def test_negatives_are_rejected_by_both_and_name_their_mutation(index: int) -> None:
    schema = SCHEMAS[index]
    c = constrained.compile_json_schema(schema, None)
    oracle = json_schema_oracle(schema)
    negs = fuzz.negatives(c, 60, seed=index)
    assert len(negs) == 60
    for neg in negs:
        assert neg.mutation in KNOWN_MUTATIONS and neg.detail
        assert c.accepts(neg.source) and not c.accepts(neg.text)
        assert not oracle(neg.text), neg
    assert any(n.mutation.startswith("json:") for n in negs)


def test_json_level_mutations_break_the_named_rule() -> None:
    schema = SCHEMAS[0]
    c = constrained.compile_json_schema(schema, None)
    by_kind: dict[str, list[fuzz.Negative]] = {}
    for neg in fuzz.negatives(c, 200, seed=4):
        by_kind.setdefault(neg.mutation, []).append(neg)
    for neg in by_kind["json:drop_property"]:
        assert len(json.loads(neg.text)) == 1  # one of the two required properties is gone
    for neg in by_kind["json:extra_property"]:
        assert "__fuzz_extra__" in json.loads(neg.text)
    for neg in by_kind["json:off_by_one"]:
        doc = json.loads(neg.text)
        assert len(doc["name"]) == 6  # one over maxLength (an integer +-1 stays valid, so is never kept)


def test_boundary_reaches_min_and_max_counts() -> None:
    schema = SCHEMAS[1]
    c = constrained.compile_json_schema(schema, None)
    counts = {len(json.loads(t)) for t in fuzz.sample(c, 40, seed=0, strategy="boundary")}
    assert {2, 4} <= counts


def test_coverage_mode_reaches_every_enum_value() -> None:
    c = constrained.compile_json_schema({"enum": ["north", "south", "east", "west", "up", "down"]}, None)
    s = fuzz.make_sampler(c, seed=0, strategy="coverage")
    seen = {json.loads(s.draw()) for _ in range(12)}
    assert seen == {"north", "south", "east", "west", "up", "down"}


def test_recursive_schema_compiled_as_grammar_is_sampled_too() -> None:
    schema = {"$defs": {"node": {"type": "object", "properties": {"v": {"type": "integer"},
                                                                   "kids": {"type": "array",
                                                                            "items": {"$ref": "#/$defs/node"}}},
                                 "required": ["v"], "additionalProperties": False}},
              "$ref": "#/$defs/node"}
    c = constrained.compile_json_schema(schema, None)
    oracle = json_schema_oracle(schema)
    texts = fuzz.sample(c, 40, seed=2, max_length=120)
    assert all(oracle(t) for t in texts)
    assert any(t.count("{") >= 3 for t in texts)  # it does recurse
    assert all(not oracle(n.text) for n in fuzz.negatives(c, 20, seed=2, max_length=120))
