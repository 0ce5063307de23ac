"""Wide objects in any property order: member loops whose keys are checked while generating (``key_plan.py``)."""

from __future__ import annotations

import itertools
import json
import random
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from json_schema_helpers import assert_rollback_replays, walk

import constrained
from constrained.json_schema import lower_json_schema, property_order

WIDE = property_order.MAX_ANY_ORDER + 2
NAMES = [f"k{i}" for i in range(WIDE - 2)] + ["x", "xy"]  # "x" is a prefix of "xy": a key prefix that can strand
CLOSED = {
    "type": "object",
    "properties": {name: {"type": "integer", "minimum": 0, "maximum": 9} for name in NAMES},
    "required": ["k1", "xy"],
    "additionalProperties": False,
}
OPEN = {  # extras: keys not declared, of two letters or digits (finitely many), string values
    "type": "object",
    "properties": {name: {"type": "boolean"} for name in NAMES},
    "additionalProperties": {"type": "string", "maxLength": 2},
    "propertyNames": {"pattern": "^[a-z0-9]{1,2}$"},
}
PATTERNED = {  # extras only under keys matching the pattern: a finite-then-open key language
    "type": "object",
    "properties": {name: {"type": "null"} for name in NAMES},
    "patternProperties": {"^p[0-9]$": {"type": "integer"}},
    "additionalProperties": False,
}
NESTED = {  # the wide object as an array item and as a property value, beside a small object
    "type": "object",
    "properties": {
        "list": {"type": "array", "items": CLOSED, "maxItems": 3},
        "one": OPEN,
        "small": {"type": "object", "additionalProperties": {"type": "null"}, "maxProperties": 1},
    },
    "required": ["list"],
    "additionalProperties": False,
}
ONE_OF_TWO = {  # branches that differ only in which keys they allow and require: one check with two options
    **{k: v for k, v in CLOSED.items() if k != "required"},
    "anyOf": [{"required": ["k0"], "properties": {"k1": False}}, {"required": ["k1"], "properties": {"k0": False}}],
}
WITH_SMALL = {  # a wide branch and a small one at the same place: the small one becomes a loop, an option too
    "oneOf": [
        {k: v for k, v in CLOSED.items() if k != "required"} | {"required": ["k0"]},
        {"type": "object", "properties": {"k1": CLOSED["properties"]["k1"], "q": {"type": "string", "maxLength": 1}},
         "required": ["q"], "additionalProperties": False},
    ]
}  # fmt: skip
DEPENDENT = {**{k: v for k, v in CLOSED.items() if k != "required"}, "dependentRequired": {"k0": ["k2", "x"]}}
SCHEMAS = {
    "closed": CLOSED, "open": OPEN, "patterned": PATTERNED, "nested": NESTED, "one-of-two": ONE_OF_TWO,
    "dependent": DEPENDENT, "with-small": WITH_SMALL,
}  # fmt: skip


def _value(schema: dict, key: str, rng: random.Random) -> Any:
    """Mostly a value the schema takes under ``key``, sometimes a wrong one."""
    if rng.random() < 0.15:
        return rng.choice([1, True, None, "s", 12])
    if schema in (CLOSED, ONE_OF_TWO, DEPENDENT, WITH_SMALL):
        return rng.randint(0, 9) if key != "q" else "a"
    if schema is OPEN:
        return rng.choice([True, False]) if key in NAMES else "ab"
    return None if key in NAMES else 4


def _members(schema: dict, rng: random.Random) -> list[tuple[str, Any]]:
    """Members a text may hold: declared keys, extras, the required ones mostly, and now and then a repeat."""
    if schema in (ONE_OF_TWO, DEPENDENT, WITH_SMALL):
        schema = CLOSED
    if schema is NESTED:
        inner = [dict(_members(CLOSED, rng)) for _ in range(rng.randint(0, 2))]
        return [("list", inner), ("one", dict(_members(OPEN, rng)))][: rng.randint(1, 2)]
    keys = rng.sample([*NAMES, "p3", "zz", "p", "q"], rng.randint(0, 7))
    for name in schema.get("required", []):
        if name not in keys and rng.random() < 0.8:
            keys.insert(rng.randint(0, len(keys)), name)
    chosen = [(key, _value(schema, key, rng)) for key in keys]
    if chosen and rng.random() < 0.2:
        chosen.insert(rng.randint(0, len(chosen)), rng.choice(chosen))  # a repeated key
    return chosen


def _text(members: list[tuple[str, Any]]) -> str:
    return "{" + ",".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in members) + "}"


def _expected(schema: dict, text: str) -> bool:
    """The validator's verdict, and no repeated key anywhere (a text with one is never produced)."""
    repeated = []
    json.loads(text, object_pairs_hook=lambda p: repeated.append(len({k for k, _ in p}) != len(p)))
    return not any(repeated) and jsonschema.Draft202012Validator(schema).is_valid(json.loads(text))


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_verdicts_equal_the_validator_in_any_order(name: str) -> None:
    schema = SCHEMAS[name]
    compiled = constrained.compile_json_schema(schema, None, property_order="any")
    assert compiled.describe()["object_keys_checked"], "a member loop with a run-time check"
    assert compiled.describe()["exact"]
    rng = random.Random(7)
    texts = [_text(_members(schema, rng)) for _ in range(300)]
    if schema is CLOSED:
        texts += [_text(list(p)) for p in itertools.permutations([("xy", 1), ("k1", 2), ("x", 3)])]
    if schema is WITH_SMALL:
        texts += [_text(list(p)) for p in itertools.permutations([("q", "a"), ("k1", 2), ("k0", 3)])]
        texts += [_text(list(p)) for p in itertools.permutations([("q", "a"), ("k1", 2)])]
    for text in texts:
        assert compiled.accepts(text) == _expected(schema, text), text


def test_branches_that_differ_in_keys_alone_share_one_check() -> None:
    compiled = constrained.compile_json_schema(ONE_OF_TWO, None, property_order="any")
    assert compiled.describe()["object_keys_checked"] == ["/anyOf/0", "/anyOf/1"]
    assert compiled.describe()["bounded"] == []
    assert compiled.accepts('{"x":1,"k0":2}') and compiled.accepts('{"k1":2,"k3":1}')
    assert not compiled.accepts('{"k1":2,"k0":1}') and not compiled.accepts('{"k3":1}')


def test_a_small_object_beside_a_wide_one_becomes_an_option_of_its_check() -> None:
    compiled = constrained.compile_json_schema(WITH_SMALL, None, property_order="any")
    assert compiled.describe()["object_keys_checked"] == ["/oneOf/0", "/oneOf/1"]
    assert compiled.accepts('{"k1":1,"q":"a"}') and compiled.accepts('{"k1":2,"k0":1}')
    assert not compiled.accepts('{"k0":1,"q":"a"}') and not compiled.accepts('{"k1":1}')


def test_right_verdicts_are_not_all_the_same() -> None:
    compiled = constrained.compile_json_schema(CLOSED, None, property_order="any")
    assert compiled.accepts('{"xy":1,"k0":3,"k1":2}') and compiled.accepts('{"k1":2,"xy":1}')
    assert not compiled.accepts('{"xy":1}') and not compiled.accepts('{"xy":1,"k1":2,"xy":1}')


@settings(max_examples=20, deadline=None)
@given(name=st.sampled_from(list(SCHEMAS)), seed=st.integers(0, 2**16))
def test_walks_end_valid_and_never_get_stuck(
    name: str, seed: int, byte_vocab: constrained.Vocabulary, bpe_vocab: constrained.Vocabulary
) -> None:
    schema = SCHEMAS[name]
    rng = random.Random(seed)
    for vocab in (byte_vocab, bpe_vocab):
        compiled = constrained.compile_json_schema(schema, vocab, whitespace="compact", property_order="any")
        for _ in range(2):
            text, ended = walk(compiled, vocab, rng, steps=200, closing=0.3)
            if ended:
                assert _expected(schema, text.decode()), text
                assert compiled.accepts(text)


def test_a_used_key_is_masked_and_a_key_prefix_with_nothing_new_is_too(byte_vocab: constrained.Vocabulary) -> None:
    compiled = constrained.compile_json_schema(CLOSED, byte_vocab, whitespace="compact", property_order="any")
    m = compiled.matcher()
    for b in b'{"x":1,"x':
        assert m.advance(b)
    assert ord('"') not in m.allowed_token_ids()  # "x" again
    assert ord("y") in m.allowed_token_ids()
    for b in b'y":2,"':
        assert m.advance(b)
    assert ord("x") not in m.allowed_token_ids()  # both x and xy used: "x... has no new completion
    assert not m.copy().advance(ord("x"))
    assert ord("}") not in m.copy().allowed_token_ids()
    for b in b'k0":0':
        assert m.advance(b)
    assert ord("}") not in m.allowed_token_ids()  # k1 is required
    for b in b',"k1":5}':
        assert m.advance(b)
    assert m.is_accepting()


def test_an_escaped_key_prefix_with_nothing_new_is_masked(byte_vocab: constrained.Vocabulary) -> None:
    compiled = constrained.compile_json_schema(CLOSED, byte_vocab, whitespace="compact", property_order="any")
    m = compiled.matcher()
    written = ",".join(f'"k{i}":1' for i in range(WIDE - 2))
    for b in ("{" + written + ',"\\u00').encode():
        assert m.advance(b)
    assert ord("6") not in m.allowed_token_ids()  # \u006b (k) and \u006B (k again): every k key is used
    assert m.advance(ord("7")) and m.advance(ord("8"))  # \u0078 is x, still new


def test_rollback_then_replay_gives_the_same_masks(bpe_tokenizer: Any, bpe_vocab: constrained.Vocabulary) -> None:
    compiled = constrained.compile_json_schema(OPEN, bpe_vocab, whitespace="compact", property_order="any")
    assert_rollback_replays(compiled, bpe_tokenizer.encode('{"k3":true,"zz":"ab","x":false}').ids)


WIDE_PROPS = {name: {"type": "integer"} for name in NAMES}
KEPT = [  # schema, the object schema kept in schema order (the check could not tell its objects from others), where
    ({"anyOf": [{"type": "object", "properties": WIDE_PROPS}, {"type": "object", "required": ["q"]}]}, "/anyOf/0",
     "%s"),
    ({"$defs": {"node": {"type": "object", "properties": {**WIDE_PROPS, "next": {"$ref": "#/$defs/node"}}}},
      "$ref": "#/$defs/node"}, "/$defs/node", '{"next":%s}'),  # the root is a checked loop, deeper ones a rule
    ({"type": "object", "properties": WIDE_PROPS, "maxProperties": 3}, "", "%s"),
]  # fmt: skip


@pytest.mark.parametrize(("schema", "pointer", "where"), KEPT, ids=["anyOf", "recursive", "counted"])
def test_where_the_check_cannot_apply_schema_order_is_kept_and_reported(schema: dict, pointer: str, where: str) -> None:
    lowered = lower_json_schema(schema, property_order="any")
    assert f"{pointer}/properties" in lowered.bounded
    compiled = constrained.compile_json_schema(schema, None, property_order="any")
    assert not compiled.describe()["exact"]
    in_order, reordered = where % '{"k0":1,"k3":2}', where % '{"k3":2,"k0":1}'
    assert compiled.accepts(in_order) and not compiled.accepts(reordered)
    assert compiled.accepts('{"k3":2,"k0":1,"next":{}}') == (pointer == "/$defs/node")


def test_schema_order_is_still_the_default() -> None:
    compiled = constrained.compile_json_schema(CLOSED, None)
    assert "object_keys_checked" not in compiled.describe()
    assert compiled.accepts('{"k1":2,"xy":1}') and not compiled.accepts('{"xy":1,"k1":2}')


def test_too_many_object_notes_lower_again_without_loops(monkeypatch: pytest.MonkeyPatch) -> None:
    from constrained.json_schema import lower as lower_module

    monkeypatch.setattr(lower_module, "MAX_OBJECT_NOTES", 3)
    item = {"type": "object", "properties": {"a": {"type": "object"}, "b": {"type": "object"}}}
    schema = {"type": "object", "properties": {**WIDE_PROPS, **{f"o{i}": {"$ref": "#/$defs/i"} for i in range(4)}},
              "$defs": {"i": item}}  # fmt: skip
    lowered = lower_json_schema(schema, property_order="any")
    assert "/properties" in lowered.bounded and lowered.checks is None  # schema order kept, and said
    compiled = constrained.compile_json_schema(schema, None, property_order="any")
    assert compiled.accepts('{"k0":1,"o1":{"b":{}}}') and not compiled.accepts('{"o1":{},"k0":1}')
