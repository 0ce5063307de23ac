"""Keywords enforced exactly through DFA products and grammar rules: the validator is the judge."""

from __future__ import annotations

import json

import pytest
from json_schema_helpers import compile_pattern, truth

from constrained.errors import UnsupportedFeature
from constrained.json_schema import lower_json_schema

SCHEMAS = [
    ({"type": "string", "pattern": "^[a-z]+[0-9]*$", "minLength": 2, "maxLength": 4},
     ["ab", "ab12", "ab123", "a", "1", "abcd", "\u00e9"]),
    ({"type": "string", "format": "date", "pattern": "^2020"}, ["2020-01-02", "2021-01-02", "2020x"]),
    ({"type": "string", "pattern": "a", "maxLength": 3}, ["xa", "a", "xxxa", "\u00e9\na", "bbb"]),
    ({"not": {"type": "null"}}, [None, 1, "x", {"a": None}]),
    ({"type": ["string", "null"], "minLength": 2, "maxLength": 1}, ["", "ab", None]),  # no string fits
    # oneOf made exact with the complements of the branches a branch overlaps (one_of.py, complement.py)
    ({"oneOf": [{"type": "string"}, {"maxLength": 3}]}, ["ab", "abcd", 1, None, [1]]),
    ({"oneOf": [{"maximum": 2}, {"maximum": 5}]}, [1, 2, 3, 5, 6, "x", 2.5]),
    ({"oneOf": [{"type": "integer"}, {"minimum": 2}]}, [1, 2.5, 3, 1.5, "x", -1, 2]),
    ({"oneOf": [{"required": ["a"]}, {"required": ["b"]}, {"minProperties": 3}]},
     [{"a": 1}, {"b": 1}, {"a": 1, "b": 2}, {"a": 1, "c": 1, "d": 1}, {"x": 1, "y": 2, "z": 3}, {}, 7]),
    ({"type": "object", "oneOf": [{"properties": {"n": {"type": "integer"}}}, {"properties": {"s": {"enum": ["x"]}}}]},
     # (a branch's own properties come before those of the complements it was given: schema order)
     [{}, {"n": 1}, {"s": "x"}, {"s": "x", "n": "a"}, {"n": 1, "s": "y"}, {"s": "x", "n": 1.5}, {"n": 1, "s": "x"}]),
    ({"oneOf": [{"maxItems": 1}, {"minItems": 1}]}, [[], [1], ["a", "b"], "s", {}]),
    ({"type": "array", "contains": {"type": "integer"}}, [[1], [1.5], ["a", 2], []]),
    ({"type": "array", "contains": {"not": {"type": "string"}}}, [[], ["a"], [1], ["a", 1]]),
    # an if that complement.py can negate (two required keys, counts, items)
    ({"if": {"properties": {"a": {"const": 1}}, "required": ["a", "b"]}, "then": {"required": ["c"]},
      "else": {"maxProperties": 1}}, [{}, {"a": 1, "b": 2}, {"a": 1, "b": 2, "c": 3}, {"a": 2, "b": 1}, {"x": 1}]),
    ({"if": {"minItems": 2, "items": {"type": "string"}}, "then": {"maxItems": 3}, "else": {"type": "array"}},
     [[], ["a"], ["a", "b"], ["a", "b", "c", "d"], [1, 2, 3, 4], "s"]),
    ({"type": "object", "allOf": [{"not": {"required": ["a", "b"]}}, {"not": {"required": ["a", "c"]}}]},
     [{}, {"a": 1}, {"a": 1, "b": 1}, {"a": 1, "c": 1}, {"b": 1, "c": 1}]),
    ({"not": {"type": "object", "properties": {"foo": {"type": "string"}}}}, [1, {"foo": 1}, {"foo": "bar"}, {}]),
    ({"oneOf": [{"type": "array", "items": {"type": "integer"}}, {"type": "array", "items": {"maximum": 5}}]},
     [[], [1], [6], [1.5], [7, 1.5], [1, 2], ["x"]]),
    # then/else in another allOf branch than the if: they apply nothing, merged or not
    ({"type": ["string", "integer"], "allOf": [{"if": {"type": "string"}}, {"then": {"maxLength": 1}},
                                               {"else": {"minimum": 5}}]}, ["abc", "", 1, 7, None]),
    ({"type": "string", "not": {"enum": ["a", "b"]}}, ["a", "b", "c", ""]),
    ({"not": {"enum": ["a", None]}}, ["a", None, "c", 1, [1]]),
    ({"type": ["string", "integer"], "not": {"type": "string", "maxLength": 2}}, ["ab", "abc", 5]),
    ({"type": "number", "not": {"type": "number"}}, [1, 1.5]),
    # string-only keywords without "type": every non-string is valid against them, so "not" keeps strings only
    ({"not": {"pattern": "^[a-c]+$"}}, ["abc", "abd", "", 1, None, [], {"a": 1}]),
    ({"type": ["string", "integer"], "not": {"minLength": 2, "maxLength": 3}}, ["a", "ab", "abcd", 7]),
    ({"not": {"anyOf": [{"pattern": "x"}, {"type": "string", "maxLength": 1}]}}, ["ab", "x", "abx", "a", 1]),
    ({"type": "object", "propertyNames": {"maxLength": 2}}, [{"ab": 1}, {"abc": 1}, {}]),
    ({"type": "object", "patternProperties": {"^a": {"type": "integer"}, "^b": {"type": "string"}}},
     [{"a1": 1, "b1": "x", "c": None}, {"a": "x"}, {"b": 2}, {"c": [[[1]]]}]),
    ({"type": "object", "patternProperties": {"^a": {"type": "integer"}}, "additionalProperties": False},
     [{"a1": 1}, {"b": 1}, {}]),
    ({"type": "object", "properties": {"ab": {"type": "integer"}}, "propertyNames": {"pattern": "^a"}},
     [{"ab": 1}, {"ac": 2}, {"b": 1}]),
    ({"type": "object", "properties": {"bc": {"type": "integer"}}, "propertyNames": {"pattern": "^a"}},
     [{}, {"bc": 1}, {"a": 1}]),
    ({"contains": {"const": "x"}}, [["x"], [1, "x"], [], [1, 2], "x", ["x", "x"]]),
    ({"type": "array", "items": {"type": "string"}, "contains": {"const": "x"}, "minContains": 2, "maxContains": 3},
     [["x"], ["x", "a", "x"], ["x", "x", "x", "x"], ["x", "x", "x"], [1, "x", "x"]]),
    ({"type": "array", "contains": {"type": "string"}, "minContains": 0}, [[], [1]]),
    ({"type": "array", "contains": {"type": "string", "maxLength": 1}, "maxContains": 1},
     [["a"], ["a", "bb"], ["a", "b"], []]),
    ({"type": "object", "properties": {"a": {"type": "integer"}}, "unevaluatedProperties": False},
     [{"a": 1}, {"a": 1, "b": 2}, {}]),
    ({"allOf": [{"properties": {"a": {"type": "integer"}}}], "properties": {"b": {}}, "unevaluatedProperties": False},
     [{"b": 2, "a": 1}, {"a": 1, "c": 2}, {"b": None}]),  # merged order: outer names first
    ({"allOf": [{"properties": {"a": True}}, {"unevaluatedProperties": False}]}, [{}, {"a": 1}]),
    ({"allOf": [{"properties": {"a": True}, "unevaluatedProperties": False}], "properties": {"b": True}},
     [{"a": 1}, {"a": 1, "b": 2}, {"b": 2}]),
    ({"anyOf": [{"properties": {"a": {"type": "integer"}}, "required": ["a"]}],
      "unevaluatedProperties": {"type": "string"}},
     [{"a": 1, "z": "s"}, {"a": 1, "z": 2}]),
    ({"type": "array", "prefixItems": [{"type": "integer"}], "unevaluatedItems": {"type": "string"}},
     [[1, "a", "b"], [1, 2], []]),
    ({"allOf": [{"prefixItems": [True, True]}, {"unevaluatedItems": False}]}, [[], [1], [1, 2]]),
    ({"allOf": [{"properties": {"a": True}, "unevaluatedProperties": True}], "unevaluatedProperties": False},
     [{"a": 1, "b": 2}, {}]),
    ({"type": "object", "minProperties": 1}, [{}, {"a": 1}, {"a": 1, "b": 2}]),
    ({"type": "object", "properties": {"xa": {"type": "integer"}}, "patternProperties": {"^x": {"minimum": 3}},
      "additionalProperties": False},
     [{"xa": 4}, {"xa": 2}, {"xb": 5}, {"xb": 1}, {"y": 1}, {}]),
    ({"type": "object", "required": ["xq"], "patternProperties": {"^x": {"type": "string"}},
      "additionalProperties": {"type": "integer"}},
     [{"xq": "s"}, {"xq": 1}, {"xq": "s", "z": 1}, {"xq": "s", "z": "t"}]),
    ({"allOf": [{"properties": {"a": {"type": "integer"}}, "additionalProperties": False}, {"properties": {"b": {}}}]},
     [{"a": 1}, {"a": 1, "b": 2}, {"b": 1}, {}]),
    ({"allOf": [{"properties": {"a": {"type": "integer"}}, "additionalProperties": {"type": "string"}},
                {"properties": {"b": {}}, "additionalProperties": {"maxLength": 2}}]},
     [{"a": 1}, {"a": 1, "b": "x"}, {"a": 1, "b": 2}, {"c": "xy"}, {"c": "xyz"}, {"a": "s"}]),
    ({"allOf": [{"enum": [1, "a", True]}, {"enum": [1.0, True, "b"]}]}, [1, 1.0, True, "a", "b"]),
    ({"allOf": [{"const": 1}, {"const": 2}]}, [1, 2]),
    ({"allOf": [{"if": {"type": "string"}, "then": {"maxLength": 2}},
                {"if": {"type": "boolean"}, "then": {"const": True}}]},
     ["ab", "abc", True, False, None]),
    ({"not": {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 1}]}}, [None, "a", "ab", 1]),
    ({"allOf": [{"not": {"const": "a"}}, {"not": {"type": "boolean"}}]}, ["a", "b", True, None]),
    ({"type": "object", "oneOf": [
        {"properties": {"a": {}}, "required": ["a"], "additionalProperties": False},
        {"properties": {"b": {}}, "required": ["b"], "additionalProperties": False}]},
     [{"a": 1}, {"b": 1}, {"a": 1, "b": 1}, {}]),
    ({"type": "array", "items": {"enum": ["a", "b", 1]}, "uniqueItems": True},
     [[], ["a"], ["a", "b"], ["a", "a"], [1], [1, 1.0], ["b", 1, "a"], [2]]),
    ({"type": "array", "items": {"type": "boolean"}, "uniqueItems": True, "minItems": 2},
     [[True], [True, False], [False, True], [True, True]]),
    ({"if": {"type": "string"}, "then": {"maxLength": 2}, "else": {"type": "integer"}}, ["ab", "abc", 1, 1.5, None]),
    ({"type": "object", "properties": {"kind": {"enum": ["a", "b"]}, "x": {}},
      "if": {"properties": {"kind": {"const": "a"}}, "required": ["kind"]}, "then": {"required": ["x"]},
      "else": {"properties": {"x": {"type": "string"}}}},
     [{"kind": "a", "x": 1}, {"kind": "a"}, {"kind": "b", "x": 1}, {"kind": "b", "x": "s"}, {"x": 2}, {}]),
    ({"if": {"properties": {"k": {"const": "a"}}}, "then": {"minProperties": 2}},
     [{"k": "a"}, {"k": "a", "z": 1}, {"k": "b"}, {}, 1]),
    ({"type": "object", "properties": {"a": {}, "b": {}}, "dependentRequired": {"a": ["b"]}},
     [{}, {"a": 1}, {"a": 1, "b": 2}, {"b": 1}]),
    ({"dependentRequired": {"a": ["b"]}}, [{}, {"a": 1}, {"a": 1, "b": 2}, {"b": 1}, 1, "x"]),
    ({"type": "object", "dependentSchemas": {"a": {"properties": {"b": {"type": "integer"}}}}},
     [{"a": 1, "b": 2}, {"a": 1, "b": "x"}, {"b": "x"}]),
    ({"$schema": "http://json-schema.org/draft-07/schema#", "dependencies": {"a": ["b"], "c": {"required": ["d"]}}},
     [{"a": 1}, {"a": 1, "b": 1}, {"c": 1}, {"c": 1, "d": 1}]),
    ({"type": "object", "properties": {"x": {}}, "additionalProperties": False, "dependentRequired": {"a": ["x"]}},
     [{"a": 1, "x": 1}, {"x": 1}, {}]),
    ({"type": "object", "properties": {"a": {}, "b": {}}, "maxProperties": 1},
     [{}, {"a": 1}, {"a": 1, "b": 2}, {"c": 1}, {"a": 1, "c": 1}]),
    ({"type": "object", "properties": {"a": {}, "b": {}}, "required": ["a"], "minProperties": 2, "maxProperties": 3,
      "additionalProperties": {"type": "integer"}},
     [{"a": 1}, {"a": 1, "b": 2}, {"a": 1, "c": 1}, {"a": 1, "b": 1, "c": 1, "d": 2}, {"a": 1, "b": 1, "c": "x"}]),
    ({"type": "object", "properties": {"a": {}}, "additionalProperties": False, "minProperties": 2}, [{"a": 1}, {}]),
    # oneOf of closed objects: a branch keeps the objects holding a key the other does not declare
    ({"oneOf": [{"type": "object", "properties": {"p": {"type": "string"}, "s": {}}, "additionalProperties": False},
                {"type": "object", "properties": {"t": {"type": "string"}, "s": {}}, "additionalProperties": False}]},
     [{}, {"s": 1}, {"p": "a"}, {"t": "b"}, {"p": "a", "t": "b"}, {"p": 1}, {"x": 1}, {"p": "a", "s": 2}, "s"]),
    # allOf of objects with patternProperties: one side's key constraints folded into the other (merge._fold_keys)
    ({"allOf": [{"patternProperties": {"^x": {"type": "integer"}}, "additionalProperties": {"type": "string"}},
                {"additionalProperties": {"maxLength": 1}}]},
     [{"xa": 1}, {"a": "s"}, {"a": "st"}, {"xa": "s"}, {"x": "st"}, {}]),
    ({"allOf": [{"properties": {"k": {"type": "string"}, "x9": {"maxLength": 1}}, "required": ["k"]},
                {"properties": {"v": {}}, "patternProperties": {"^[a-z][0-9]$": {"type": "string"}},
                 "additionalProperties": False}]},
     [{"k": "a"}, {"k": "a", "v": 1}, {"k": "a", "x9": "b"}, {"k": "a", "x9": "bc"}, {"k": "a", "x9": 1},
      {"k": "a", "q": 1}, {"v": 1}]),
    ({"allOf": [{"type": "object", "additionalProperties": {"type": "integer"}},
                {"patternProperties": {"^a": {"description": "x"}}, "additionalProperties": {"default": 1}}]},
     [{"a": 1}, {"a": "s"}, {"b": 2}]),
    ({"allOf": [{"properties": {"a": {"type": "integer"}}, "patternProperties": {}},
                {"properties": {"b": {"type": "string"}}, "patternProperties": {}, "additionalProperties": False}]},
     [{"b": "x"}, {"a": 1, "b": "x"}, {"a": "s"}, {"c": 1}, {}]),
    # ... and the keys the merged parts evaluate stay evaluated for an unevaluatedProperties around them
    ({"properties": {"foo": {"type": "string"}}, "allOf": [{"additionalProperties": True}],
      "unevaluatedProperties": False}, [{"foo": "a", "bar": 1}, {"foo": 1}, {}]),
    ({"properties": {"foo": {}}, "unevaluatedProperties": False,
      "allOf": [{"patternProperties": {"^b": {"description": "d"}}, "additionalProperties": {"title": "t"}}]},
     [{"foo": 1, "bar": 1}, {"x": 1}]),
    ({"type": "object", "unevaluatedProperties": False, "allOf": [
        {"properties": {"k": {"type": "string"}}},
        {"patternProperties": {"^k": {"maxLength": 1}}, "additionalProperties": {"type": "integer"}}]},
     [{"k": "a"}, {"k": "ab"}, {"q": 1}, {"q": "s"}, {"k": "a", "q": 2}]),
]  # fmt: skip


@pytest.mark.parametrize("schema,instances", SCHEMAS, ids=[json.dumps(s)[:40] for s, _ in SCHEMAS])
def test_schema_keywords_agree_with_the_validator(schema, instances):
    compiled = compile_pattern(schema, "compact")
    assert compiled is not None, "compiles (no refusal)"
    _, matcher = compiled
    for value in instances:
        text = json.dumps(value, separators=(",", ":"))
        assert bool(matcher.fullmatch(text)) == truth(schema, value), (schema, text)


@pytest.mark.parametrize(
    "schema,keyword,pointer",
    [
        ({"type": "integer", "not": {"multipleOf": 3}}, "not", "/not"),
        ({"type": "object", "patternProperties": {c: {} for c in "abcde"}}, "patternProperties", "/patternProperties"),
        ({"type": "number", "not": {"type": "integer", "multipleOf": 3}}, "not", "/not"),
        ({"if": {"multipleOf": 3}, "then": {"type": "integer"}}, "if", "/if"),
        (
            {"if": {"properties": {"f": {"const": 1}}, "required": ["f"]}, "else": {}, "unevaluatedProperties": False},
            "if",
            "/if",
        ),
        ({"anyOf": [{"type": "array", "items": {"type": "string"}, "uniqueItems": True}, {"type": "array"}]},
         "uniqueItems", "/anyOf/0/uniqueItems"),
    ],
)
def test_refusals_name_keyword_and_pointer(schema, keyword, pointer):
    with pytest.raises(UnsupportedFeature) as info:
        lower_json_schema(schema)
    assert (info.value.keyword, info.value.pointer) == (keyword, pointer)


def test_not_integer_keeps_the_fractions_without_exponent_and_says_so():
    lowered = lower_json_schema({"type": "number", "maximum": 10, "not": {"type": "integer"}})
    assert lowered.bounded == ["/not"]  # "15e-1" is not an integer either, but is left out: stricter, reported
    _, matcher = compile_pattern({"type": "number", "maximum": 10, "not": {"type": "integer"}})
    for text, ok in [("1.5", True), ("-0.25", True), ("9.99", True), ("1", False), ("1.0", False), ("10.5", False),
                     ("2.50", True), ("15e-1", False), ("0", False)]:  # fmt: skip
        assert bool(matcher.fullmatch(text)) == ok, text
