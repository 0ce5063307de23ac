"""``patternProperties`` whose patterns overlap: a key matching several patterns is valid against all of them."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

import constrained

PATTERNS = ["^a", "b$", "a.*b", "^ab+$", "c"]
SCHEMAS: list[Any] = [{"type": "integer"}, {"minimum": 2}, {"type": "string"}, {"maximum": 5}, {"enum": [1, "x", 7]}]
ADDITIONAL: list[Any] = [None, False, {"type": "boolean"}]
KEYS = ["a", "ab", "abb", "b", "cb", "xc", "z", "acb"]
VALUES: list[Any] = [1, 3, 7, "x", True, None]


@settings(max_examples=60, deadline=None)
@given(
    chosen=st.dictionaries(st.sampled_from(PATTERNS), st.sampled_from(SCHEMAS), min_size=2, max_size=4),
    additional=st.sampled_from(ADDITIONAL),
    instances=st.lists(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=3), max_size=12),
)
def test_overlapping_patterns_match_the_validator(chosen: dict, additional: Any, instances: list[dict]) -> None:
    schema: dict[str, Any] = {"type": "object", "patternProperties": chosen}
    if additional is not None:
        schema["additionalProperties"] = additional
    compiled = constrained.compile_json_schema(schema, None)
    validator = jsonschema.Draft202012Validator(schema)
    for instance in instances:
        assert compiled.accepts(json.dumps(instance)) == validator.is_valid(instance), (schema, instance)


def test_too_many_overlaps_are_refused_by_name() -> None:
    patterns = {p: {"type": "integer"} for p in ["a", "b", "c", "d", "e"]}  # every subset can meet: 31 regions
    try:
        constrained.compile_json_schema({"patternProperties": patterns}, None)
    except constrained.UnsupportedFeature as exc:
        assert exc.keyword == "patternProperties" and exc.pointer == "/patternProperties"
    else:
        raise AssertionError("31 key regions should exceed the bound")
