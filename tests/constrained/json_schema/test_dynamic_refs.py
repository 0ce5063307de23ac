"""``$dynamicRef`` / ``$recursiveRef``, and ``$ref`` siblings merged across resources: the validator is the judge."""

from __future__ import annotations

import json
import time

import pytest
from json_schema_helpers import truth

import constrained
from constrained.errors import UnsupportedFeature

D2020 = "https://json-schema.org/draft/2020-12/schema"
D2019 = "https://json-schema.org/draft/2019-09/schema"

# A list whose item type is a dynamic anchor: a default inside the list resource, overridden by the root.
LIST = {
    "$id": "list",
    "type": "array",
    "items": {"$dynamicRef": "#item"},
    "$defs": {"fallback": {"$dynamicAnchor": "item", "type": "string"}},
}
OVERRIDDEN = {
    "$schema": D2020,
    "$id": "https://example.test/root",
    "$ref": "list",
    "$defs": {"item": {"$dynamicAnchor": "item", "type": "integer"}, "list": LIST},
}
NOT_OVERRIDDEN = {"$schema": D2020, "$id": "https://example.test/root", "$ref": "list", "$defs": {"list": LIST}}

# An extensible tree, and a strict one: the dynamic anchor carries the strictness to every depth.
TREE = {
    "$id": "https://example.test/tree",
    "$dynamicAnchor": "node",
    "type": "object",
    "properties": {"data": True, "children": {"type": "array", "items": {"$dynamicRef": "#node"}}},
}
STRICT_TREE = {
    "$schema": D2020,
    "$id": "https://example.test/strict-tree",
    "$dynamicAnchor": "node",
    "$ref": "tree",
    "unevaluatedProperties": False,
    "$defs": {"tree": TREE},
}
# A $ref to a subschema with a relative $id, which itself refers relative to that $id.
RELATIVE_IDS = {
    "$schema": D2020,
    "$id": "https://example.test/dir/root.json",
    "$ref": "nested/a.json",
    "$defs": {
        "a": {"$id": "nested/a.json", "$ref": "b.json", "minimum": 3},
        "b": {"$id": "nested/b.json", "type": "integer", "maximum": 9},
    },
}
# Draft 2019-09 recursion that an outer $recursiveAnchor extends.
RECURSIVE = {
    "$schema": D2019,
    "$id": "https://example.test/strict-list",
    "$recursiveAnchor": True,
    "$ref": "loose",
    "required": ["v"],
    "$defs": {
        "loose": {
            "$id": "loose",
            "$recursiveAnchor": True,
            "type": "object",
            "properties": {"v": {"type": "integer"}, "next": {"$recursiveRef": "#"}},
        }
    },
}

CASES = [
    (OVERRIDDEN, [[1, 2], [], ["a"], [1, "a"], [1.5]]),
    (NOT_OVERRIDDEN, [["a", "b"], [], [1], ["a", 2]]),
    (STRICT_TREE, [{}, {"data": 1}, {"children": [{"data": 2}]}, {"daat": 1}, {"children": [{"daat": 1}]},
                   {"children": [{"children": [{"data": 1, "x": 2}]}]}, {"children": [{"children": []}]}]),
    (RELATIVE_IDS, [3, 9, 2, 10, 5.5, "5"]),
    (RECURSIVE, [{"v": 1}, {"v": 1, "next": {"v": 2}}, {"v": 1, "next": {}}, {}, {"v": 1, "next": {"v": "x"}}]),
]


@pytest.mark.parametrize("schema,instances", CASES, ids=["overridden", "default", "strict-tree", "relative-ids",
                                                         "recursive-ref"])  # fmt: skip
def test_dynamic_references_agree_with_the_validator(schema, instances):
    compiled = constrained.compile_json_schema(schema, None, whitespace="compact")
    for value in instances:
        text = json.dumps(value, separators=(",", ":"))
        assert compiled.accepts(text) == truth(schema, value), (schema.get("$id"), text)


def test_a_dynamic_anchor_that_merging_would_drop_from_the_scope_is_refused():
    # The branch's resource declares "t"; merged into the root, no resource in scope would: refused by name.
    schema = {
        "$schema": D2020,
        "$id": "https://example.test/root",
        "allOf": [{"$ref": "inner"}, {"type": "array"}],
        "$defs": {
            "inner": {
                "$id": "inner",
                "items": {"$dynamicRef": "#t"},
                "minItems": 1,
                "$defs": {"t": {"$dynamicAnchor": "t", "type": "integer"}},
            }
        },
    }
    with pytest.raises(UnsupportedFeature) as info:
        constrained.compile_json_schema(schema, None)
    assert info.value.keyword == "allOf" and info.value.pointer == "/allOf/0"
    assert "dynamic scope" in info.value.reason


def test_the_meta_schema_is_known_as_it_is_to_the_validator():
    schema = {"$schema": D2020, "$ref": D2020}
    start = time.perf_counter()
    # format is an annotation in 2020-12's default vocabulary (the meta-schema has format "regex")
    compiled = constrained.compile_json_schema(schema, None, whitespace="compact", formats="annotation")
    assert time.perf_counter() - start < 30
    for value in [{"type": "string"}, {"type": 12}, {"minLength": -1}, {"properties": {"a": {"type": "x"}}}, True,
                  {"$defs": {"a": {"enum": []}}}, 3]:  # fmt: skip
        assert compiled.accepts(json.dumps(value, separators=(",", ":"))) == truth(schema, value), value
