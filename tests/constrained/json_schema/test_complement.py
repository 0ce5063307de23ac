"""``complement``: the written complement holds for exactly the instances the schema rejects (validator-judged)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

import constrained
from constrained.json_schema.complement import complement
from constrained.json_schema.lower import Lowerer
from constrained.json_schema.whitespace import whitespace_node

INSTANCES: list[Any] = [
    None, True, False, 0, 1, 2, 3, -4, 1.5, 2.5, 10, "", "a", "ab", "abc", "abcd", "B1",
    [], [1], [1, "a"], [None, 2, 3],
    {}, {"a": 1}, {"a": "x"}, {"b": 2}, {"a": 1, "b": 2}, {"a": None, "b": "x", "c": 1.5}, {"c": []},
]  # fmt: skip

_leaf = st.one_of(
    st.builds(lambda t: {"type": t}, st.sampled_from(["null", "boolean", "integer", "number", "string", "array",
                                                      "object", ["string", "integer"], ["array", "null"]])),
    st.builds(lambda n: {"minLength": n}, st.integers(0, 3)),
    st.builds(lambda n: {"maxLength": n}, st.integers(0, 3)),
    st.builds(lambda p: {"pattern": p}, st.sampled_from(["^a", "b$", "^[a-c]+$", "[0-9]"])),
    st.builds(lambda n: {"minimum": n}, st.integers(-2, 3)),
    st.builds(lambda n: {"exclusiveMaximum": n}, st.integers(-2, 3)),
    st.builds(lambda r: {"required": r}, st.lists(st.sampled_from("abc"), min_size=1, max_size=2, unique=True)),
    st.builds(lambda n: {"minItems": n}, st.integers(0, 2)),
    st.builds(lambda n: {"maxProperties": n}, st.integers(0, 2)),
    st.builds(lambda v: {"enum": v}, st.lists(st.sampled_from(["a", "ab", None, True, 1, 2.5]), min_size=1,
                                              max_size=3)),
)  # fmt: skip


def _schemas(leaf: Any) -> Any:
    merged = st.lists(leaf, min_size=1, max_size=3).map(lambda parts: {k: v for p in parts for k, v in p.items()})
    return st.one_of(
        merged,
        st.builds(lambda props: {"properties": props}, st.dictionaries(st.sampled_from("ab"), merged, max_size=2)),
        st.builds(lambda bs: {"anyOf": bs}, st.lists(merged, min_size=1, max_size=2)),
        st.builds(lambda x: {"not": x}, merged),
        st.builds(lambda x: {"type": "array", "items": x}, merged),
    )


def _lowerer(schema: Any) -> Lowerer:
    return Lowerer(schema, jsonschema.Draft202012Validator, whitespace_node("compact"), False, 2, 3, True)


def _valid(schema: Any, data: Any) -> bool:
    return bool(jsonschema.Draft202012Validator(schema).is_valid(data))


@settings(max_examples=300, deadline=None)
@given(schema=_schemas(_leaf))
def test_the_complement_holds_exactly_where_the_schema_fails(schema: dict) -> None:
    lw = _lowerer(schema)
    inverse = complement(lw, schema, lw.resolver, "")
    if inverse is None:
        return  # no complement written: the caller refuses
    for data in INSTANCES:
        assert _valid(inverse, data) == (not _valid(schema, data)), (schema, inverse, data)
    try:
        compiled = constrained.compile_json_schema(inverse, None, whitespace="compact", property_order="any")
    except constrained.UnsupportedFeature:
        return  # written, but its lowering refuses: the oneOf is then refused by name
    exact = not compiled.describe()["bounded"]
    for data in INSTANCES:
        got = compiled.accepts(json.dumps(data, separators=(",", ":")))
        # exact, or stricter where a bound is stated (non-integers are written without exponent)
        assert got == _valid(inverse, data) or (not exact and not got), (inverse, data)


@settings(max_examples=150, deadline=None)
@given(schema=_schemas(_leaf), declared=st.lists(st.sampled_from("abc"), max_size=3, unique=True))
def test_a_closed_object_has_a_complement_among_objects_of_known_keys(schema: dict, declared: list[str]) -> None:
    closed = {**schema, "properties": {k: schema.get("properties", {}).get(k, True) for k in declared},
              "additionalProperties": False}  # fmt: skip
    lw = _lowerer(closed)
    inverse = complement(lw, closed, lw.resolver, "", keys=frozenset("abc"))
    if inverse is None:
        return
    for data in INSTANCES:  # their objects hold keys among a, b, c only
        assert _valid(inverse, data) == (not _valid(closed, data)), (closed, inverse, data)


@settings(max_examples=200, deadline=None)
@given(schema=_schemas(_leaf))
def test_not_lowers_exactly_or_refuses_by_name(schema: dict) -> None:
    negated = {"not": schema}
    try:
        compiled = constrained.compile_json_schema(negated, None, whitespace="compact", property_order="any")
    except constrained.UnsupportedFeature as exc:
        assert exc.keyword and exc.pointer.startswith("/not"), exc
        return
    exact = not compiled.describe()["bounded"]
    for data in INSTANCES:
        got = compiled.accepts(json.dumps(data, separators=(",", ":")))
        assert got == _valid(negated, data) or (not exact and not got), (negated, data)


def test_no_complement_beside_unevaluated_properties() -> None:
    # The evaluations inside "not" do not count: merging "not not X" as X would evaluate "y" and admit it.
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}, "unevaluatedProperties": False,
              "not": {"not": {"properties": {"y": {"const": 1}}, "required": ["y"]}}}  # fmt: skip
    try:
        compiled = constrained.compile_json_schema(schema, None, whitespace="compact")
    except constrained.UnsupportedFeature as exc:
        assert (exc.keyword, exc.pointer) == ("not", "/not")
        return
    assert not compiled.accepts('{"x":1,"y":1}') and not _valid(schema, {"x": 1, "y": 1})


def test_a_failed_trial_leaves_no_rule_without_a_body() -> None:
    # The usual lowering of this "not" fails inside the recursive definition's body; the complement then lowers
    # it again. Rules and memo entries of the failed try are undone, so the grammar has every rule it names.
    schema = {
        "$defs": {"n": {"type": "object", "properties": {"k": {"$ref": "#/$defs/n"}},
                        "not": {"required": ["a", "b"], "minProperties": 3}}},
        "$ref": "#/$defs/n",
    }  # fmt: skip
    compiled = constrained.compile_json_schema(schema, None, whitespace="compact", property_order="any")
    for data in [{}, {"k": {}}, {"k": {"k": {"a": 1, "b": 2, "c": 3}}}, {"k": {"a": 1, "b": 2}}, {"a": 1, "b": 2}]:
        assert compiled.accepts(json.dumps(data, separators=(",", ":"))) == _valid(schema, data), data


def test_a_trial_that_fails_takes_back_its_rules_and_memo_entries() -> None:
    schema = {"$defs": {"n": {"type": "object", "properties": {"k": {"$ref": "#/$defs/n"}}}}, "$ref": "#/$defs/n"}
    lw = _lowerer(schema)
    rules, names, memo = dict(lw.rules), dict(lw._rule_names), {k: len(v) for k, v in lw._memo.items()}
    try:
        with lw._trial():
            lw.lower(schema, "", lw.resolver)  # builds the recursion's rule and memo entries
            assert lw._rule_names and len(lw.rules) > len(rules)
            raise constrained.UnsupportedFeature("not", "/x", "a refusal after the rule was made")
    except constrained.UnsupportedFeature:
        pass
    assert lw.rules == rules and lw._rule_names == names
    assert {k: len(v) for k, v in lw._memo.items() if v} == {k: n for k, n in memo.items() if n}
