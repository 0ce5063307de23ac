"""``property_order="any"``: every member order a validator accepts, each declared property at most once."""

from __future__ import annotations

import itertools
import json

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import constrained
from constrained import fuzz
from constrained.json_schema import lower_json_schema, property_order

MEMBERS = {"a": 1, "b": "xy", "c": True, "z": None}  # z is undeclared in every schema below


def _texts(members: dict[str, object]) -> list[str]:
    """Every ordering of every subset of ``members``, plus texts with a repeated declared key."""
    items = list(members.items())
    out = []
    for r in range(len(items) + 1):
        for chosen in itertools.permutations(items, r):
            out.append(json.dumps(dict(chosen)))
    out += ['{"a": 1, "a": 2}', '{"c": true, "a": 1, "c": false}']
    return out


SCHEMAS = [
    {  # closed, two required
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "string"}, "c": {"type": "boolean"}},
        "required": ["a", "c"],
        "additionalProperties": False,
    },
    {  # open (any extra value: a grammar rule)
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "string", "maxLength": 1}, "c": {"type": "boolean"}},
        "required": ["c"],
    },
    {  # extras with a schema of their own, nothing required
        "type": "object",
        "properties": {"a": {"type": "integer"}, "c": {"const": True}},
        "additionalProperties": {"type": ["null", "string"]},
    },
    {  # required but undeclared
        "type": "object",
        "properties": {"b": {"type": "string"}},
        "required": ["a", "b"],
        "additionalProperties": {"type": "integer"},
    },
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=["closed", "open", "typed-extras", "undeclared-required"])
def test_any_order_accepts_exactly_what_the_validator_accepts(schema: dict) -> None:
    c = constrained.compile_json_schema(schema, None, property_order="any")
    validator = jsonschema.Draft202012Validator(schema)
    for text in _texts(MEMBERS):
        pairs = json.loads(text, object_pairs_hook=lambda p: p)
        unique = len({k for k, _ in pairs}) == len(pairs)
        expected = unique and validator.is_valid(json.loads(text))  # repeated keys are never produced
        assert c.accepts(text) == expected, text


def test_schema_order_is_the_default_and_the_cache_tells_orders_apart() -> None:
    schema = SCHEMAS[0]
    text = '{"c": true, "a": 1}'
    assert not constrained.compile_json_schema(schema, None).accepts(text)
    assert constrained.compile_json_schema(schema, None, property_order="any").accepts(text)
    swapped = dict(schema, properties=dict(reversed(list(schema["properties"].items()))))
    assert constrained.compile_json_schema(swapped, None).accepts(text)
    with pytest.raises(constrained.InvalidConstraint, match="property_order"):
        constrained.compile_json_schema(schema, None, property_order="sorted")


def test_wide_objects_become_checked_loops_and_counted_ones_keep_schema_order() -> None:
    n = property_order.MAX_ANY_ORDER + 1
    schema = {"type": "object", "properties": {f"p{i}": {"type": "integer"} for i in range(n)}}
    assert lower_json_schema(schema, property_order="any").bounded == []  # test_wide_objects.py has the rest
    c = constrained.compile_json_schema(schema, None, property_order="any")
    assert c.describe()["object_keys_checked"] == [""] and c.describe()["exact"]
    assert c.accepts('{"p0": 1, "p3": 2}') and c.accepts('{"p3": 2, "p0": 1}')
    counted = {"type": "object", "properties": {"a": {}, "b": {}}, "minProperties": 1}
    assert lower_json_schema(counted, property_order="any").bounded == ["/properties"]
    assert lower_json_schema(counted).bounded == []  # schema order asked for: nothing to report


@pytest.mark.parametrize("count", [2, property_order.MAX_DFA_ANY_ORDER, property_order.MAX_DFA_ANY_ORDER + 1])
def test_dfa_and_grammar_forms_agree(count: int) -> None:
    schema = {
        "type": "object",
        "properties": {f"p{i}": {"type": "integer", "minimum": 0, "maximum": 9} for i in range(count)},
        "required": ["p0"],
        "additionalProperties": False,
    }
    c = constrained.compile_json_schema(schema, None, property_order="any", whitespace="compact")
    kind = "CompiledSchema" if count <= property_order.MAX_DFA_ANY_ORDER else "CompiledSchemaGrammar"
    assert type(c).__name__ == kind
    last = f"p{count - 1}"
    assert c.accepts(f'{{"{last}":3,"p0":1}}') and not c.accepts(f'{{"{last}":3}}')
    assert not c.accepts(f'{{"p0":1,"{last}":3,"p0":2}}')


def test_token_walk_takes_a_reordered_object(byte_vocab: constrained.Vocabulary) -> None:
    c = constrained.compile_json_schema(SCHEMAS[1], byte_vocab, property_order="any")
    m = c.matcher()
    for byte in b'{"q": [1, {}], "c": false, "a": 7}':
        assert m.advance(byte), chr(byte)
    assert m.is_accepting()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_samples_come_in_many_orders_and_validate(seed: int) -> None:
    schema = SCHEMAS[0]
    c = constrained.compile_json_schema(schema, None, property_order="any")
    validator = jsonschema.Draft202012Validator(schema)
    texts = fuzz.sample(c, 40, seed=seed)
    for text in texts:
        pairs = json.loads(text, object_pairs_hook=lambda p: p)
        assert len({k for k, _ in pairs}) == len(pairs) and validator.is_valid(json.loads(text)), text
    assert len({tuple(json.loads(t)) for t in texts}) > 1  # more than one key order drawn


def test_const_and_enum_objects_take_any_key_order() -> None:
    schema = {"enum": [{"a": 1, "b": [{"c": 2, "d": 3}]}, "x"]}
    c = constrained.compile_json_schema(schema, None, property_order="any")
    assert c.accepts('{"b": [{"d": 3, "c": 2}], "a": 1}') and c.accepts('{"a":1,"b":[{"c":2,"d":3}]}')
    assert not c.accepts('{"b": [{"d": 3, "c": 2}], "a": 1, "a": 1}') and not c.accepts('{"a": 1}')
    assert not constrained.compile_json_schema(schema, None).accepts('{"b": [{"d": 3, "c": 2}], "a": 1}')


def test_without_exact_recursion_the_result_stays_regular() -> None:
    n = property_order.MAX_DFA_ANY_ORDER + 1  # would need grammar rules
    schema = {"type": "object", "properties": {f"p{i}": {"type": "integer"} for i in range(n)}}
    lowered = lower_json_schema(schema, property_order="any", exact_recursion=False)
    assert lowered.regular and lowered.bounded == ["/properties"]
    small = {"type": "object", "properties": {"a": {"type": "integer"}, "b": {}}}
    lowered = lower_json_schema(small, property_order="any", exact_recursion=False)
    assert lowered.regular and lowered.bounded == []


def test_a_const_object_too_wide_for_any_order_keeps_its_order_and_says_so() -> None:
    wide = {f"k{i}": i for i in range(property_order.MAX_ANY_ORDER + 1)}
    lowered = lower_json_schema({"properties": {"x": {"const": wide}}}, property_order="any")
    assert lowered.bounded == ["/properties/x"]
    c = constrained.compile_json_schema({"const": [wide]}, None, property_order="any")
    assert c.describe()["bounded"] == [""] and c.accepts(json.dumps([wide]))
    assert not c.accepts(json.dumps([dict(reversed(list(wide.items())))]))
    assert lower_json_schema({"const": {"a": 1, "b": 2}}, property_order="any").bounded == []
