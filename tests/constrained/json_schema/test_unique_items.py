"""``uniqueItems`` over large item domains, checked while generating: verdicts, refusals, token walks."""

from __future__ import annotations

import json
import random
from decimal import Decimal, InvalidOperation
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from json_schema_helpers import assert_rollback_replays, walk

import constrained
from constrained.json_schema.unique_plan import canonical, parse_json

STRINGS = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
NUMBERS = {"type": "array", "items": {"type": "number"}, "uniqueItems": True}
OBJECTS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
        "additionalProperties": False,
    },
    "uniqueItems": True,
}
LISTED = {"type": "array", "items": {"enum": ["a", "ab", "abc", "b", 1, 1.5, 10, None]}, "uniqueItems": True}
SHARED_DEF = {
    "$defs": {"tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True}},
    "type": "object",
    "properties": {"x": {"$ref": "#/$defs/tags"}, "y": {"$ref": "#/$defs/tags"}, "z": {"type": "array"}},
}
OPEN_OBJECT = {"type": "object", "properties": {"tags": STRINGS}}  # other keys: any value, arrays included
PATTERNED = {"type": "object", "properties": {"tags": STRINGS}, "patternProperties": {"^t": {"type": "array"}}}
ANY_ITEMS = {"type": "array", "uniqueItems": True}
BOUNDED = {"type": "array", "items": {"type": "string", "maxLength": 1}, "uniqueItems": True}
OPEN_ITEMS = {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "string"}}}}
OPEN_ITEMS["uniqueItems"] = True

TABLE: list[tuple[dict, list[Any]]] = [
    (STRINGS, [[], ["a"], ["a", "b"], ["a", "a"], ["a", "b", "a"], ["é", "\u00e9"], ["ab", "a"]]),
    (NUMBERS, [[1, 2], [1, 1.0], [1, 10, 1e1], [0, -0.0], [0.5, 5e-1], [100, 1e2, 3]]),
    (OBJECTS, [[{"a": 1}, {"a": 1}], [{"a": 1}, {"a": 2}], [{"a": 1, "b": "x"}, {"a": 1}], [{}, {}]]),
    (LISTED, [["a", "ab"], ["a", "a"], [1, 1.0], [None, 10, "b"], ["a", "ab", "abc", "b", 1, 1.5, 10, None]]),
    (SHARED_DEF, [{"x": ["a", "a"]}, {"y": ["a", "a"]}, {"x": ["a"], "y": ["a"]}, {"z": [1, 1]}]),
    (OPEN_OBJECT, [{"tags": ["a", "a"]}, {"tags": ["a"], "other": [1, 1]}, {"other": {"tags": [1, 1]}}]),
    (PATTERNED, [{"tags": ["a", "a"]}, {"tx": [1, 1]}, {"tags": ["a", "b"], "t": [[], []]}]),
    (BOUNDED, [["a", "b", ""], ["", ""], ["a", "\u0061"]]),
    (ANY_ITEMS, [[1, True], [True, True], [None, None], [[1], [1.0]], [{"a": [1]}, {"a": [1, 1]}], ["1", 1]]),
    (
        OPEN_ITEMS,
        [[{"a": "x"}, {"a": "x"}], [{"a": "x"}, {"a": "x", "b": [1, 1]}], [{"b": {"c": 1}}, {"b": {"c": 1.0}}]],
    ),
]


@pytest.mark.parametrize(("schema", "instances"), TABLE, ids=range(len(TABLE)))
def test_verdicts_equal_the_validator(schema: dict, instances: list[Any]) -> None:
    compiled = constrained.compile_json_schema(schema, None)
    assert compiled.describe()["unique_items_checked"], "checked at run time, not by construction"
    for instance in instances:
        text = json.dumps(instance)
        expected = jsonschema.Draft202012Validator(schema).is_valid(instance)
        assert compiled.accepts(text) == expected, text


POSITIONAL = [  # listed values at every position: distinct arrangements, built by construction (no run-time check)
    ({"prefixItems": [{"type": "boolean"}, {"enum": [True, None]}], "items": False, "uniqueItems": True},
     [[], [True], [True, None], [False, True], [True, True], [None], [False, True, None]]),
    ({"prefixItems": [{"const": 1}], "items": {"enum": [1.0, 2, "x"]}, "uniqueItems": True, "maxItems": 3},
     [[1], [1, 2], [1, 1.0], [1, "x", 2], [1, 2, 2], [2], [1, 2, "x"]]),
]


@pytest.mark.parametrize(("schema", "instances"), POSITIONAL, ids=range(len(POSITIONAL)))
def test_positional_listed_items_are_distinct_by_construction(schema: dict, instances: list[Any]) -> None:
    compiled = constrained.compile_json_schema(schema, None)
    assert not compiled.describe().get("unique_items_checked")
    for instance in instances:
        text = json.dumps(instance)
        assert compiled.accepts(text) == jsonschema.Draft202012Validator(schema).is_valid(instance), text


def test_equal_values_are_equal_whatever_the_spelling() -> None:
    same = [b"1", b"1.0", b"10e-1", b"0.1E1", b"100e-2"]
    assert len({canonical(parse_json(t)) for t in same}) == 1
    assert canonical(parse_json(b"true")) != canonical(parse_json(b"1"))
    assert canonical(parse_json(b'{"a": 1, "b": [2]}')) == canonical(parse_json(b'{"b": [2.0], "a": 1}'))
    assert canonical(parse_json(b"1e999999999999999999999")) != canonical(parse_json(b"1"))


def test_items_holding_any_value_deeper_down_get_depth_bounds_and_are_checked() -> None:
    schema = {"type": "array", "items": {"type": "array"}, "uniqueItems": True}
    compiled = constrained.compile_json_schema(schema, None)
    assert compiled.describe()["bounded"] == ["/uniqueItems"] and compiled.describe()["unique_items_checked"]
    assert compiled.accepts("[[1],[2],[[1]]]") and compiled.accepts('[[{"a":[1]}],[{"a":[2]}]]')
    assert not compiled.accepts("[[1],[1.0]]") and not compiled.accepts('[[{"a":1,"b":2}],[{"b":2,"a":1}]]')
    assert not compiled.accepts("[[[[[[1]]]]]]")  # deeper than the bound: stricter, as reported


@pytest.mark.parametrize(
    ("schema", "pointer", "reason"),
    [
        ({"anyOf": [STRINGS, {"type": "array"}]}, "/anyOf/0/uniqueItems", "may repeat items"),
        (
            {"anyOf": [{"properties": {"tags": STRINGS}}, {"properties": {"tags": {"type": "array"}}}]},
            "/anyOf/0/properties/tags/uniqueItems",
            "may repeat items",
        ),
        (
            {
                "$defs": {
                    "n": {
                        "type": "object",
                        "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/n"}, "uniqueItems": True}},
                    }
                },
                "$ref": "#/$defs/n",
            },
            "/$defs/n/properties/kids/uniqueItems",
            "",
        ),  # fmt: skip
    ],
)
def test_what_cannot_be_checked_is_refused_by_name(schema: dict, pointer: str, reason: str) -> None:
    with pytest.raises(constrained.UnsupportedFeature) as err:
        constrained.compile_json_schema(schema, None)
    assert (err.value.keyword, err.value.pointer) == ("uniqueItems", pointer)
    assert reason in err.value.reason
    lenient = constrained.compile_json_schema(schema, None, lenient=True)
    assert any(w.keyword == "uniqueItems" and w.pointer == pointer for w in lenient.weakened)


def _exact(text: str) -> Any:
    """The oracle's numbers: exact decimals (floats would make 1e400 equal 2e400, both inf), or for exponents past
    ``decimal``'s range (only in untyped items) a (sign, digits, exponent) triple, equal only to the same number.
    """
    try:
        return Decimal(text)
    except InvalidOperation:
        mantissa, _, exponent = text.lower().partition("e")
        whole, _, fraction = mantissa.lstrip("-").partition(".")
        digits = (whole + fraction).strip("0")
        if not digits:
            return Decimal(0)
        shift = len((whole + fraction).rstrip("0")) - len(whole + fraction)
        return (mantissa.startswith("-"), digits, int(exponent) - len(fraction) - shift)


ITEM_SCHEMAS = [  # typed numbers are bounded: the oracle's type check needs Decimals (written without exponent)
    {"type": "string"},
    {"type": "string", "minLength": 1, "pattern": "^[a-c]+$"},
    {"type": "integer", "minimum": 0},
    {"type": "number", "minimum": -1000, "maximum": 1e6},
    {"enum": ["a", "ab", "abc", "b", 1, 10, 2.5, None, True]},
    {"type": "string", "maxLength": 2, "pattern": "^[ab]*$"},
    {"type": "string", "maxLength": 2},
    {"type": "integer", "minimum": -3, "maximum": 20},
    OBJECTS["items"],
    OPEN_ITEMS["items"],
    {},
]


@settings(max_examples=30, deadline=None)
@given(
    item=st.sampled_from(ITEM_SCHEMAS),
    min_items=st.integers(0, 4),
    nested=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_walks_never_repeat_an_item_nor_get_stuck(
    item: dict, min_items: int, nested: bool, seed: int, byte_vocab: constrained.Vocabulary,
    bpe_vocab: constrained.Vocabulary,
) -> None:  # fmt: skip
    schema: dict = {"type": "array", "items": item, "uniqueItems": True, "minItems": min_items}
    if nested:
        schema = {"type": "object", "properties": {"k": schema}, "required": ["k"], "additionalProperties": False}
    rng = random.Random(seed)
    for vocab in (byte_vocab, bpe_vocab):
        compiled = constrained.compile_json_schema(schema, vocab, whitespace="compact")
        for _ in range(3):
            text, ended = walk(compiled, vocab, rng)
            if ended:
                jsonschema.validate(json.loads(text, parse_float=_exact), schema)
                assert compiled.accepts(text)


def test_rollback_then_replay_gives_the_same_masks(bpe_tokenizer: Any, bpe_vocab: constrained.Vocabulary) -> None:
    compiled = constrained.compile_json_schema(LISTED, bpe_vocab, whitespace="compact")
    assert_rollback_replays(compiled, bpe_tokenizer.encode('["a",1,"b",10,"abc"]').ids)


def test_a_repeated_item_is_masked_and_refused(byte_vocab: constrained.Vocabulary) -> None:
    compiled = constrained.compile_json_schema(STRINGS, byte_vocab, whitespace="compact")
    m = compiled.matcher()
    for b in b'["ab","ab':
        assert m.advance(b)
    quote = ord('"')
    assert quote not in m.allowed_token_ids()
    copy = m.copy()
    assert not m.advance(quote)
    assert copy.advance(ord("c")) and copy.advance(quote)
    assert m.advance(ord("c")) and m.advance(quote)


REPEATS = [  # item schema, items a walk tries to write (with repeats)
    ({"type": "string"}, ["ab", "abc", "ab", "ab", "abc", "a"]),
    ({"type": "string", "maxLength": 2}, ["ab", "a", "ab", "b", "a", "ba"]),
    ({"type": "string", "maxLength": 1, "pattern": "^[ab]$"}, ["a", "b", "a", "b"]),
    ({"type": "integer"}, [0, 10, 0, 1, 10, 100]),
    ({"enum": ["GET", "GETS", "POST", "PUT", "PATCH", "HEAD", "TRACE", 7]}, ["GET", "GETS", "GET", 7, 7]),
    ({}, [True, True, None, [1], [1], {"a": 1}, {"a": 1}]),
    (OBJECTS["items"], [{"a": 1}, {"a": 1}, {"a": 1, "b": "x"}, {"a": 1, "b": "x"}]),
]


def _vocabs(byte_vocab: Any, bpe_tokenizer: Any, bpe_vocab: Any) -> list[tuple[Any, Any]]:
    """(vocabulary, text -> ids) for the byte and the BPE vocabularies."""
    return [(byte_vocab, lambda t: list(t.encode())), (bpe_vocab, lambda t: bpe_tokenizer.encode(t).ids)]


CLOSERS = [b"]", b'"]', b"}]", b'"', b"}", b"0", b"1", b"x", b"a"]  # how a walk that went astray ends


@pytest.mark.parametrize(("item", "wanted"), REPEATS, ids=range(len(REPEATS)))
def test_walks_that_try_to_repeat_items_end_valid(
    item: dict, wanted: list[Any], byte_vocab: constrained.Vocabulary, bpe_tokenizer: Any,
    bpe_vocab: constrained.Vocabulary,
) -> None:  # fmt: skip
    schema = {"type": "array", "items": item, "uniqueItems": True}
    target = json.dumps(wanted, separators=(",", ":"))
    walks = [(v, e, seed) for v, e in _vocabs(byte_vocab, bpe_tokenizer, bpe_vocab) for seed in range(4)]
    for vocab, encode, seed in walks:
        compiled = constrained.compile_json_schema(schema, vocab, whitespace="compact")
        rng = random.Random(seed)
        m, out, pending, blocked = compiled.matcher(), b"", target, 0
        eos = vocab.eos_token_ids[0]
        for step in range(300):
            ids = m.allowed_token_ids()
            assert ids, f"stuck after {out!r}"
            if eos in ids and (not pending or step > 200 or ids == [eos]):
                break
            # Write the rest of the target where the mask lets us; where it refuses (a repeat), write one random
            # allowed token and go on with the target; late in the walk, close what is open.
            first = encode(pending)[:1] if pending else []
            if first and first[0] in ids:
                nxt = first[0]
                pending = pending[len((vocab.token_bytes[nxt] or b"").decode()) :]
            elif step > 200 or not pending:
                nxt = next((t for c in CLOSERS for t in [vocab.token_bytes.index(c)] if t in ids), ids[-1])
            else:
                blocked += 1
                nxt = rng.choice([t for t in ids if t != eos])
            assert m.advance(nxt)
            out += vocab.token_bytes[nxt] or b""
        assert m.advance(eos), out
        assert blocked, "the target repeats items: the mask must have refused some of its tokens"
        jsonschema.validate(json.loads(out, parse_float=_exact), schema)
