"""Recursive ``$ref`` and "any value" compiled as grammars: exact at every depth, same interface as regexes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from json_schema_helpers import truth

import constrained
from constrained.json_schema import lower_json_schema
from constrained.json_schema.compile import CompiledSchemaGrammar, compile_lowered

TREE = {
    "$defs": {
        "t": {
            "type": "object",
            "properties": {"v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/$defs/t"}}},
            "required": ["v"],
            "additionalProperties": False,
        }
    },
    "$ref": "#/$defs/t",
}
LIST = {
    "$defs": {
        "n": {
            "type": "object",
            "properties": {"v": {"type": "string", "maxLength": 3}, "next": {"$ref": "#/$defs/n"}},
            "required": ["v"],
            "additionalProperties": False,
        }
    },
    "$ref": "#/$defs/n",
}


def _compiled(schema, ws="compact", **kw):
    key = json.dumps([schema, ws, kw], sort_keys=True)
    if key not in _CACHE:
        _CACHE[key] = compile_lowered(lower_json_schema(schema, whitespace=ws, **kw), None, 100_000, 10.0)
    return _CACHE[key]


_CACHE: dict = {}


def _text(value, ws):
    return json.dumps(value, indent=2) if ws == "flexible" else json.dumps(value, separators=(",", ":"))


def _nest(depth, leaf):
    value = leaf
    for i in range(depth):
        value = {"k": value} if i % 2 else [1, value]
    return value


@pytest.mark.parametrize("ws", ["compact", "flexible"])
def test_any_value_has_no_depth_bound(ws):
    c = _compiled({"type": "object"}, ws)
    assert isinstance(c, CompiledSchemaGrammar)
    # flexible whitespace allows 20 columns of indentation (whitespace.py): 9 levels of indent=2
    deep = {"a": _nest(14 if ws == "compact" else 6, {"z": [None, True, "x"]})}
    assert c.accepts(_text(deep, ws)) and c.accepts(_text({}, ws))
    assert not c.accepts(_text([deep], ws)) and not c.accepts(_text(_nest(3, 1), ws)[:-1])


def test_bounded_mode_is_regular_and_stricter():
    lowered = lower_json_schema({"type": "object"}, whitespace="compact", exact_recursion=False, any_depth=2)
    assert lowered.regular
    c = _compiled({"type": "object"}, exact_recursion=False, any_depth=2)
    assert c.accepts('{"a":[1]}') and not c.accepts('{"a":[[[1]]]}')


def test_recursive_ref_is_exact_at_depth():
    c = _compiled(TREE)
    deep = {"v": 0}
    for i in range(1, 15):
        deep = {"v": i, "kids": [deep, {"v": -i}]}
    assert c.accepts(_text(deep, "compact"))
    bad = json.loads(json.dumps(deep))
    node = bad
    while "kids" in node:
        node = node["kids"][0]
    node["v"] = "leaf"
    assert not c.accepts(_text(bad, "compact"))


@st.composite
def _chains(draw):
    length = draw(st.integers(0, 12))
    values = draw(st.lists(st.text(alphabet='ab"\\é', max_size=4), min_size=length + 1, max_size=length + 1))
    node: dict = {"v": values[-1]}
    for v in reversed(values[:-1]):
        node = {"v": v, "next": node}
    if draw(st.booleans()):  # sometimes drop a required key deep down
        cur = node
        for _ in range(draw(st.integers(0, length))):
            cur = cur.get("next", cur)
        cur.pop("v")
    return node


@settings(max_examples=60, deadline=None)
@given(_chains())
def test_recursive_list_matches_the_validator(value):
    c = _compiled(LIST)
    assert c.accepts(_text(value, "compact")) == truth(LIST, value)


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-50, 50) | st.text(alphabet='a"\\\n', max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet="xy", max_size=2), inner, max_size=3),
    max_leaves=25,
)


@settings(max_examples=60, deadline=None)
@given(_json)
def test_empty_schema_accepts_any_json(value):
    assert _compiled({}).accepts(_text(value, "compact"))
    assert _compiled({"type": "object"}).accepts(_text(value, "compact")) == isinstance(value, dict)


def test_front_door_walks_tokens_through_the_grammar(byte_vocab):
    constrained.clear_cache()
    c = constrained.compile_json_schema(TREE, byte_vocab, whitespace="compact")
    assert c.kind == "json_schema" and c.describe()["exact"] and c.weakened == []
    text = _text({"v": 1, "kids": [{"v": 2, "kids": [{"v": 3, "kids": [{"v": 4, "kids": []}]}]}]}, "compact").encode()
    m = c.matcher()
    words = np.zeros((byte_vocab.size + 31) // 32, dtype=np.int32)
    for i, b in enumerate(text):
        m.fill_bitmask(words)
        assert (words[b >> 5] >> (b & 31)) & 1, text[:i]
        assert not (words[256 >> 5] >> (256 & 31)) & 1  # EOS only when accepting
        assert m.advance(b)
    assert m.is_accepting() and m.advance(256)
    assert not c.matcher().advance(ord("["))


def test_recursion_through_merged_siblings_keeps_a_stated_bound():
    schema = {"$defs": {"a": {"type": "array", "items": {"$ref": "#/$defs/a", "maxItems": 1}}}, "$ref": "#/$defs/a"}
    lowered = lower_json_schema(schema, whitespace="compact", max_ref_depth=2)
    assert lowered.bounded  # reported, never silent
    c = _compiled(schema, max_ref_depth=2)
    assert c.accepts("[[]]") and not c.accepts("[[1]]")
