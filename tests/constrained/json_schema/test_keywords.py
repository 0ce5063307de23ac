"""Accept/reject tables per keyword (jsonschema is the judge), refusals, lenient mode and bad schemas."""

from __future__ import annotations

import json
import re

import pytest
from json_schema_helpers import DagMatcher, truth

from constrained.byte_dfa import ByteDFA
from constrained.errors import InvalidConstraint, UnsupportedFeature
from constrained.json_schema import lower_json_schema
from constrained.regex_ast import to_python_regex


def matcher(schema, ws="compact", **kw):
    kw.setdefault("any_depth", 1)  # keeps Python's re fast; depth itself is tested apart
    kw.setdefault("exact_recursion", False)  # regex oracles here; the grammar path has its own tests
    node = lower_json_schema(schema, whitespace=ws, **kw).node
    dag = DagMatcher(node)
    try:
        pattern = re.compile(to_python_regex(node))
    except AttributeError:  # a dfa_ops product has no regex rendering: the DAG oracle walks its automaton
        return dag.fullmatch

    def match(text: str) -> bool:
        hit = pattern.fullmatch(text) is not None
        assert dag.fullmatch(text) == hit, text
        return hit

    return match


UNIQUE_STRINGS = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}

# (schema, texts that must be accepted, texts that must be rejected)
TABLE = [
    # texts become doubles: 0.99999999999999999999 parses to 1.0, which fails exclusiveMaximum 1
    ({"type": "number", "exclusiveMaximum": 1}, ["0.5", "0.9999999999999999", "-3"], ["1", "0.99999999999999999999"]),
    ({"type": "number", "exclusiveMinimum": 0, "maximum": 0.5}, ["0.5", "0.001", "0.25"], ["0", "0.0", "0.5000001"]),
    ({"type": "number", "minimum": 0.1, "maximum": 0.3}, ["0.1", "0.15", "0.3", "0.30"], ["0.09", "0.31", "1"]),
    ({"type": "null"}, ["null"], ["0", '"null"', "nul"]),
    ({"type": ["boolean", "null"]}, ["true", "false", "null"], ["1", '"x"']),
    ({"type": "integer"}, ["0", "-7", "123456789012345678901"], ["1.5", "01", "-0", "+1", "1e3"]),
    ({"type": "integer", "minimum": -3, "maximum": 12}, ["-3", "0", "9", "12"], ["-4", "13", "100", "-10"]),
    ({"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 105}, ["6", "104", "99"], ["5", "105", "4"]),
    ({"type": "integer", "minimum": 1.5}, ["2", "10"], ["1", "0", "-2"]),
    ({"type": "integer", "multipleOf": 5}, ["0", "5", "-15", "1230"], ["3", "-7", "1231"]),
    ({"type": "integer", "multipleOf": 3, "minimum": 0, "maximum": 10}, ["0", "3", "9"], ["12", "4", "-3"]),
    ({"allOf": [{"type": "integer", "multipleOf": 4}, {"multipleOf": 5.0}]}, ["0", "20", "-40"], ["4", "5", "30", "8"]),
    ({"type": "integer", "multipleOf": 7, "minimum": -20}, ["-14", "0", "7", "700007"], ["-21", "8", "700008"]),
    # decimal steps in exact decimals (10.99 is a multiple of 0.01, whatever float division says)
    ({"type": "number", "multipleOf": 0.01}, ["10.99", "10.0", "10", "-0.07", "3.10"], ["500.234", "0.001"]),
    ({"type": "number", "multipleOf": 1.5, "minimum": 0, "maximum": 10}, ["0", "4.5", "4.50", "9"], ["10", "-1.5"]),
    ({"type": "integer", "multipleOf": 0.25, "maximum": 3}, ["0", "1", "-7", "3"], ["0.25", "4"]),
    ({"allOf": [{"multipleOf": 6}, {"multipleOf": 9}], "maximum": 10**9}, ["18", "-36", "999999990"], ["9", "6"]),
    ({"type": "number"}, ["0", "-1.5", "1e10", "2.5E-3"], ["01", ".5", "1.", "--1", "NaN"]),
    (
        {"type": "number", "minimum": 0.5, "maximum": 2},
        ["0.5", "0.50", "1", "1.999", "2", "2.000"],
        ["0.49", "2.01", "-1", "0"],
    ),
    (
        {"type": "number", "exclusiveMinimum": -1.25, "exclusiveMaximum": 0},
        ["-1.2", "-0.001", "-1.249"],
        ["-1.25", "0", "0.0", "-1.3"],
    ),
    ({"type": "number", "maximum": -2.5}, ["-2.5", "-3", "-100.75"], ["-2.4", "0", "3"]),
    (
        {"type": "string"},
        ['""', '"a\\"b"', '"\\u00e9"', '"\\ud83d\\ude00"', '"😀"'],
        ['"a', '"\\x"', '"\\ud83d"', '"\n"'],
    ),
    (
        {"type": "string", "minLength": 2, "maxLength": 3},
        ['"ab"', '"\\n\\t"', '"\\ud83d\\ude00é"', '"abc"'],
        ['"a"', '"abcd"', '"😀"'],
    ),
    (
        {"type": "string", "format": "date"},
        ['"2024-02-29"', '"1999-12-31"'],
        ['"2023-02-29"', '"1999-13-01"', '"99-01-01"'],
    ),
    ({"type": "string", "format": "ipv4"}, ['"192.168.0.1"', '"0.0.0.0"'], ['"256.1.1.1"', '"01.1.1.1"', '"1.1.1"']),
    (
        {"type": "string", "format": "uuid"},
        ['"123e4567-e89b-12d3-a456-426614174000"'],
        ['"123e4567e89b12d3a456426614174000"'],
    ),
    ({"type": "string", "format": "ipv6"}, ['"::1"', '"fe80::1:2"'], ['"1::2::3"', '":1"']),
    ({"type": "string", "format": "email"}, ['"a.b@example.com"'], ['"ab"', '"@x"']),
    (
        {"type": "string", "format": "date-time"},
        ['"2020-01-01T10:00:00Z"', '"2020-01-01T10:00:00.5+02:00"'],
        ['"2020-01-01 10:00:00"'],
    ),
    (
        {"enum": [1, "a", None, [1, {"k": True}]]},
        ["1", "1.0", '"a"', '"\\u0061"', "null", '[1,{"k":true}]'],
        ["2", '"b"', "[1]"],
    ),
    ({"const": {"a": 1}}, ['{"a":1}'], ['{"a":2}', "{}"]),
    ({"enum": [1, 2, "x"], "type": "integer"}, ["1", "2"], ['"x"']),
    (
        {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 2},
        ["[1]", "[1,2]"],
        ["[]", "[1,2,3]", '["a"]'],
    ),
    (
        {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False},
        ['["a",1]', '["a"]', "[]"],
        ['["a",1,2]', "[1]"],
    ),
    ({"type": "array", "prefixItems": [{"type": "string"}], "minItems": 3}, ['["a",1,null]'], ['["a",1]', "[1,1,1]"]),
    (
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "items": [{"type": "null"}],
            "additionalItems": {"type": "boolean"},
        },
        ["[null,true]", "[]"],
        ["[null,null]", "[true]"],
    ),
    (
        {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}, "required": ["b"]},
        ['{"b":"x"}', '{"a":1,"b":"x"}', '{"b":"x","c":[1]}'],
        ["{}", '{"a":1}', '{"b":"x","a":1}', '{"b":"x","b":"y"}'],
    ),
    (
        {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": False},
        ["{}", '{"a":1}'],
        ['{"b":1}', '{"a":1,"b":1}'],
    ),
    (
        {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": {"type": "string"}},
        ['{"a":1,"x":"y"}', '{"x":"y","z":"w"}'],
        ['{"x":1}', '{"a":1,"\\u0061":"s"}', '{"a":"s"}'],
    ),
    (
        {"type": "object", "required": ["q"], "additionalProperties": {"type": "integer"}},
        ['{"q":1}'],
        ["{}", '{"q":"s"}'],
    ),
    ({"anyOf": [{"type": "string", "maxLength": 1}, {"type": "integer", "minimum": 10}]}, ['"a"', "10"], ['"ab"', "9"]),
    (
        {
            "oneOf": [
                {"type": "object", "properties": {"k": {"const": "a"}, "v": {"type": "integer"}}, "required": ["k"]},
                {"type": "object", "properties": {"k": {"const": "b"}, "v": {"type": "string"}}, "required": ["k"]},
            ]
        },
        ['{"k":"a","v":1}', '{"k":"b","v":"s"}'],
        ['{"k":"a","v":"s"}', '{"k":"c"}'],
    ),
    (
        {"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}}, {"required": ["a"]}]},
        ['{"a":1}'],
        ["{}", '{"a":"x"}'],
    ),
    (
        {
            "type": "object",
            "properties": {"x": {"type": "string"}},
            "anyOf": [{"required": ["x"]}, {"properties": {"x": {"maxLength": 0}}}],
        },
        ['{"x":"abc"}', "{}"],
        ['{"x":1}'],
    ),
    (
        {"$defs": {"pos": {"type": "integer", "minimum": 1}}, "type": "array", "items": {"$ref": "#/$defs/pos"}},
        ["[1,2]"],
        ["[0]"],
    ),
    ({"definitions": {"a": {"$anchor": "thing", "type": "boolean"}}, "$ref": "#thing"}, ["true"], ["1"]),
    (
        {
            "$defs": {
                "n": {"type": "object", "properties": {"c": {"$ref": "#/$defs/n"}}, "additionalProperties": False}
            },
            "$ref": "#/$defs/n",
        },
        ["{}", '{"c":{"c":{}}}'],
        ['{"c":{"c":{"c":{"c":{}}}}}', '{"d":{}}'],
    ),
    (  # an "id" that is an object (a property definition misplaced by its author) is no id: ignored
        {"$schema": "http://json-schema.org/draft-04/schema#", "type": "array", "items": {"$ref": "#/things/item"},
         "things": {"item": {"type": "object", "id": {"type": "integer"}, "properties": {"n": {"type": "integer"}}}}},
        ["[]", '[{"n":1}]'],
        ['[{"n":"x"}]'],
    ),
    (  # draft 7 "dependencies" holding property lists, inside a referenced definition
        {"$schema": "http://json-schema.org/draft-07/schema#", "$id": "https://example.com/s.json",
         "definitions": {"p": {"type": "object", "dependencies": {"c": {"required": ["d"]}, "a": ["b"]}}},
         "$ref": "#/definitions/p"},
        ["{}", '{"a":1,"b":2}', '{"c":1,"d":2}'],
        ['{"a":1}', '{"c":1}'],
    ),
    (  # draft 7 and older: keywords next to $ref are ignored
        {"$schema": "http://json-schema.org/draft-07/schema#", "definitions": {"r": {"type": "array"}},
         "properties": {"foo": {"$ref": "#/definitions/r", "maxItems": 2}}},
        ['{"foo":[]}', '{"foo":[1,2,3]}'],
        ['{"foo":"x"}'],
    ),
    (  # 2019-09 and later: they apply
        {"$defs": {"r": {"type": "array"}}, "properties": {"foo": {"$ref": "#/$defs/r", "maxItems": 2}}},
        ['{"foo":[]}', '{"foo":[1,2]}'],
        ['{"foo":[1,2,3]}', '{"foo":"x"}'],
    ),
    (  # anyOf branches that cannot match together: unevaluatedProperties sees the one that matched
        {"type": "object", "anyOf": [{"properties": {"k": {"const": 1}, "b": {}}, "required": ["k"]},
                                     {"properties": {"k": {"const": 2}, "c": {}}, "required": ["k"]}],
         "unevaluatedProperties": False},
        ['{"k":1,"b":0}', '{"k":2,"c":0}', '{"k":1}'],
        ['{"k":1,"c":0}', '{"k":2,"b":0}', '{"k":3}'],
    ),
    (True, ["1", "[]", '{"a":1}'], ["", "nul", '{"a":[1]}']),
    (False, [], ["1", "null", "{}"]),
    ({"title": "x", "description": "annotations only", "examples": [1]}, ["1", '"s"'], ["nope"]),
]


@pytest.mark.parametrize("schema,accept,reject", TABLE, ids=[json.dumps(s)[:50] for s, _, _ in TABLE])
def test_table(schema, accept, reject):
    match = matcher(schema)
    for text in accept:
        assert truth(schema, json.loads(text)), f"table error: {text} is not valid"
        assert match(text), f"valid text rejected: {text}"
    for text in reject:
        hit = match(text)
        assert not hit, f"text accepted: {text}"


def test_flexible_whitespace_is_bounded():
    schema = {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "integer"}}}}
    match = matcher(schema, ws="flexible")
    value = {"a": [1, 2]}
    assert match(json.dumps(value, indent=2))
    assert match(json.dumps(value))
    assert match('{\r\n\t"a" : [ 1 , 2 ] }')
    assert not match("{" + " " * 50 + "}")  # bounded: no runaway whitespace
    assert not matcher(schema, ws="compact")(json.dumps(value))


@pytest.mark.parametrize(
    "schema,keyword,pointer",
    [
        ({"not": {"type": "object", "additionalProperties": {"type": "integer"}}}, "not", "/not"),
        (
            {"type": "object", "properties": {"a": {"anyOf": [UNIQUE_STRINGS, {"type": "array"}]}}},
            "uniqueItems",
            "/properties/a/anyOf/0/uniqueItems",
        ),
        ({"type": "array", "contains": {"type": "integer", "multipleOf": 3}}, "contains", "/contains"),
        ({"type": "object", "patternProperties": {c: {} for c in "vwxyz"}}, "patternProperties", "/patternProperties"),
        ({"type": "object", "minProperties": 100}, "minProperties", "/minProperties"),
        ({"type": "string", "pattern": "(?<=a)b"}, "pattern", "/pattern"),
        ({"type": "number", "multipleOf": 0.123456789}, "multipleOf", "/multipleOf"),  # 123456789 remainders
        ({"if": {"multipleOf": 3}, "then": {"minLength": 1}}, "if", "/if"),
        ({"oneOf": [{"type": "integer", "multipleOf": 3}, {"minimum": 3}]}, "oneOf", "/oneOf"),
        ({"$ref": "http://example.com/other.json"}, "$ref", "/$ref"),
        (
            {"$defs": {"a": {"anyOf": [UNIQUE_STRINGS, {"type": "array"}]}}, "$ref": "#/$defs/a"},
            "uniqueItems",
            "/$defs/a/anyOf/0/uniqueItems",
        ),
        ({"allOf": [{"multipleOf": 997}, {"multipleOf": 991}]}, "allOf", "/allOf/1"),  # lcm past MAX_STEP
        ({"type": "integer", "multipleOf": 1009, "minimum": 0}, "multipleOf", "/multipleOf"),
        # unevaluated* fed by evaluations the lowering does not model (valid instances would be rejected)
        (
            {"properties": {"a": {}}, "anyOf": [{"properties": {"b": {}}}, {"properties": {"c": {}}}],
             "unevaluatedProperties": False},
            "unevaluatedProperties",
            "/unevaluatedProperties",
        ),
        ({"if": {"properties": {"a": {}}}, "unevaluatedProperties": False}, "unevaluatedProperties",
         "/unevaluatedProperties"),
        ({"if": {"prefixItems": [{"const": 1}]}, "then": True, "unevaluatedItems": False}, "unevaluatedItems",
         "/unevaluatedItems"),
        ({"dependentSchemas": {"a": {"properties": {"b": {}}}}, "unevaluatedProperties": False},
         "unevaluatedProperties", "/unevaluatedProperties"),
    ],
)
def test_refusals_name_keyword_and_pointer(schema, keyword, pointer):
    with pytest.raises(UnsupportedFeature) as info:
        lower_json_schema(schema)
    assert info.value.keyword == keyword
    assert info.value.pointer == pointer


def test_refused_keyword_irrelevant_to_admitted_types_is_ignored():
    match = matcher({"type": "string", "uniqueItems": True, "minProperties": 2})
    assert match('"x"')


def test_lenient_reports_each_weakening():
    schema = {
        "type": "object",
        "properties": {"a": {"not": {"multipleOf": 3}}, "b": {"type": "string", "pattern": "(?<=x)y"}},
    }
    lowered = lower_json_schema(schema, lenient=True)
    got = {(w.keyword, w.pointer) for w in lowered.weakened}
    assert got == {("not", "/properties/a/not"), ("pattern", "/properties/b/pattern")}
    assert lower_json_schema({"type": "integer"}, lenient=True).weakened == []


@pytest.mark.parametrize("bad", [{"type": "nonsense"}, {"minLength": -1}, "{not json", 5])
def test_invalid_schema(bad):
    with pytest.raises(InvalidConstraint):
        lower_json_schema(bad)


def test_extra_properties_can_be_turned_off():
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    assert matcher(schema)('{"a":1,"b":2}')
    assert not matcher(schema, extra_properties=False)('{"a":1,"b":2}')


def test_pattern_uses_search_semantics_over_escaped_text():
    pytest.importorskip("constrained.regex_parser")
    match = matcher({"type": "string", "pattern": "é$"})
    assert match('"café"') and match('"caf\\u00e9"') and match('"café"'.replace("é", "\\u00E9"))
    assert not match('"cafe"')
    quote = matcher({"type": "string", "pattern": '^"+$'})
    assert quote('"\\"\\""') and not quote('"a"')


def test_lookaheads_are_products_over_escaped_text():
    names = matcher({"type": "string", "pattern": "^(?!na)[a-z]+$"})
    assert names('"mane"') and names('"n"') and not names('"name"') and not names('"\\u006eame"')
    keys = {"type": "object", "patternProperties": {"^(?!x)": {"type": "integer"}}, "additionalProperties": False}
    assert matcher(keys)('{"a":1}') and not matcher(keys)('{"x":1}') and not matcher(keys)('{"\\u0078y":1}')
    assert not matcher(keys)('{"a":"s"}')
    with pytest.raises(UnsupportedFeature, match="lookahead"):
        lower_json_schema({"type": "string", "pattern": "^(a(?!b))+$"})


def test_any_value_depth_is_a_bound():
    match = matcher(True, any_depth=2)
    assert match("[[1]]") and match('{"a":{"b":null}}')
    assert not match("[[[1]]]")


def test_lenient_merge_drops_and_reports():
    schema = {"allOf": [{"multipleOf": 997}, {"multipleOf": 991}]}
    lowered = lower_json_schema(schema, lenient=True)
    assert [(w.keyword, w.pointer) for w in lowered.weakened] == [("allOf", "/allOf/1")]


def test_pattern_with_lengths():
    pytest.importorskip("constrained.regex_parser")
    inside = matcher({"type": "string", "pattern": "^[a-z]{2,3}$", "maxLength": 5})
    assert inside('"ab"') and not inside('"abcd"')
    tightened = matcher({"type": "string", "pattern": "^[a-z]*$", "minLength": 2, "maxLength": 3})
    assert tightened('"abc"') and not tightened('"a"') and not tightened('"abcd"')
    intersected = matcher({"type": "string", "pattern": "a", "maxLength": 3})  # a DFA product
    assert intersected('"xa"') and intersected('"\\u0061bc"') and not intersected('"xxxa"') and not intersected('"b"')


def test_draft4_boolean_exclusive_bounds():
    schema = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "integer", "minimum": 1,
              "exclusiveMinimum": True, "maximum": 5, "exclusiveMaximum": True}  # fmt: skip
    match = matcher(schema)
    assert [t for t in "0123456" if match(t)] == ["2", "3", "4"]


def test_property_names_with_escapes_cannot_shadow_declared_keys():
    schema = {"type": "object", "properties": {"a\n": {"type": "integer"}}, "additionalProperties": {"type": "string"}}
    match = matcher(schema)
    assert match('{"a\\n":1}') and match('{"a\\u000a":1}') and match('{"b":"x"}')
    assert not match('{"a\\u000A":"x"}')


def test_recursion_is_unrolled_to_a_stated_depth():
    schema = {
        "$defs": {"t": {"type": "array", "items": {"$ref": "#/$defs/t"}, "maxItems": 2}},
        "$ref": "#/$defs/t",
    }
    match = matcher(schema, max_ref_depth=2)
    assert match("[]") and match("[[],[]]")
    assert not match("[[[]]]")  # third level: beyond the unroll bound (stricter, never weaker)


def test_wide_recursion_unrolls_once_per_depth():
    # 20 children per level, 4 levels: 20**4 paths, but each level is lowered once (memo per recursion depth).
    kids = {k: {"$ref": "#/$defs/n"} for k in "abcdefghijklmnopqrst"}
    schema = {"$defs": {"n": {"type": "object", "properties": kids}}, "$ref": "#/$defs/n"}
    lowered = lower_json_schema(schema, max_ref_depth=4, exact_recursion=False, whitespace="compact")
    assert lowered.regular and lowered.bounded  # (its DFA is large: 20 property positions per level)
    small = lower_json_schema(schema, max_ref_depth=2, exact_recursion=False, whitespace="compact")
    dfa = ByteDFA.from_node(small.node)
    assert dfa.accepts(b'{"a":{},"t":{}}') and not dfa.accepts(b'{"a":{"t":{}}}')  # the root counts as one
    assert not dfa.accepts(b'{"a":1}')
    assert not lower_json_schema(schema).regular  # exact mode: one grammar rule, no unrolling at all


def test_too_many_subschemas_hit_the_budget():
    from constrained.errors import BudgetExceeded

    schema = {"type": "object", "properties": {f"p{i}": {"type": "integer"} for i in range(21_000)}}
    with pytest.raises(BudgetExceeded) as info:
        lower_json_schema(schema)
    assert info.value.limit == "max_schema_visits"


def test_one_of_listed_values_is_exact_even_when_overlapping():
    schema = {"oneOf": [{"enum": [1, 2]}, {"enum": [2, 3]}, {"const": "x"}]}
    match = matcher(schema)
    assert [t for t in ["1", "2", "3", '"x"', "4"] if match(t)] == ["1", "3", '"x"']


@pytest.mark.parametrize(
    "schema,accept,reject",
    [
        ({"type": "array", "maxItems": 0}, ["[]"], ["[1]"]),
        ({"type": "array", "items": False}, ["[]"], ["[1]"]),
        ({"type": "array", "prefixItems": [True, False]}, ["[]", "[1]"], ["[1,2]"]),
        ({"type": "array", "prefixItems": [True, False], "minItems": 2}, [], ["[]", "[1]", "[1,2]"]),
        ({"type": "array", "maxItems": 1, "items": {"type": "integer"}}, ["[]", "[1]"], ["[1,2]"]),
    ],
)
def test_array_edges(schema, accept, reject):
    match = matcher(schema)
    for text in accept:
        assert truth(schema, json.loads(text)) and match(text), text
    for text in reject:
        assert not match(text), text


def test_pattern_properties_single_pattern():
    pytest.importorskip("constrained.regex_parser")
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "patternProperties": {"^x-": {"type": "integer"}},
        "additionalProperties": False,
    }
    match = matcher(schema)
    assert match('{"name":"a","x-1":1,"x-2":2}') and match('{"x-\\u0061":3}') and match("{}")
    assert not match('{"x-1":"s"}') and not match('{"other":1}') and not match('{"name":1}')


def test_ecma_pattern_that_python_re_rejects_is_not_a_meta_schema_error():
    # The meta-schema's "regex" format is checked with Python's re, which lacks \p{...}: not our judge.
    schema = {"type": "string", "pattern": "^\\p{Letter}+$"}
    match = matcher(schema)
    assert match('"abc\u00e9"') and not match('"ab1"')


def test_invalid_pattern_names_its_pointer():
    with pytest.raises(InvalidConstraint) as info:
        lower_json_schema({"properties": {"a": {"type": "string", "pattern": "(ab"}}})
    assert info.value.location == "/properties/a/pattern"
