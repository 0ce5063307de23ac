"""Exact ``not`` rewrites (number ranges, listed numbers, required keys): verdicts equal the validator's."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

import constrained

BOUNDS = st.one_of(st.none(), st.integers(-3, 3), st.sampled_from([-1.5, 0.5, 2.5]))
VALUES: list[Any] = [*range(-5, 6), -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, "a", None, True, [], {}]


@st.composite
def ranges(draw: st.DrawFn, draft4: bool) -> dict:
    out: dict[str, Any] = {}
    for plain, strict in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        bound = draw(BOUNDS)
        if bound is None:
            continue
        if not draw(st.booleans()):
            out[plain] = bound
        elif draft4:
            out[plain], out[strict] = bound, True
        else:
            out[strict] = bound
    return out


@st.composite
def schemas(draw: st.DrawFn) -> dict:
    draft4 = draw(st.booleans())
    negated = draw(ranges(draft4))
    if not negated:
        negated = {"minimum": 0}
    if draw(st.booleans()):
        negated["type"] = "number"
    listed = draw(st.lists(st.sampled_from([-2, -1.5, 0, 1, 2.5, 3]), min_size=1, max_size=3, unique=True))
    listings = [{"enum": listed}] if draft4 else [{"const": listed[0]}, {"enum": listed}]  # draft 4 has no const
    negated = draw(st.sampled_from([negated, *listings]))
    outer = draw(ranges(draft4))
    outer_type = draw(st.sampled_from([None, "number", "integer", ["number", "string"], ["integer", "null"], "string"]))
    if outer_type is not None:
        outer["type"] = outer_type
    dialect = "http://json-schema.org/draft-04/schema#" if draft4 else "https://json-schema.org/draft/2020-12/schema"
    return {"$schema": dialect, **outer, "not": negated}


@settings(max_examples=150, deadline=None)
@given(schema=schemas())
def test_not_number_range_matches_the_validator(schema: dict) -> None:
    compiled = constrained.compile_json_schema(schema, None)
    validator = jsonschema.validators.validator_for(schema)(schema)
    for value in VALUES:
        assert compiled.accepts(json.dumps(value)) == validator.is_valid(value), (schema, value)


def test_contains_with_a_number_range_compiles_and_counts() -> None:
    schema = {"contains": {"minimum": 5}, "minContains": 2, "maxContains": 3}
    compiled = constrained.compile_json_schema(schema, None)
    validator = jsonschema.Draft202012Validator(schema)
    for value in ([], [5, 6], [1, 5, 2, 6], [5, 6, 7, 8], [5], ["x", 9, 10], [5, 6, 7]):
        assert compiled.accepts(json.dumps(value)) == validator.is_valid(value), value


@given(
    lo=st.sampled_from([-1, -0.75, -0.5, 0, 0.25, 1.5]),
    width=st.sampled_from([0.25, 0.5, 1]),
    lo_x=st.booleans(),
    hi_x=st.booleans(),
)
@settings(max_examples=60, deadline=None)
def test_exclusive_bounds_within_one_integer(lo: float, width: float, lo_x: bool, hi_x: bool) -> None:
    schema: dict[str, Any] = {"type": "number"}
    schema["exclusiveMinimum" if lo_x else "minimum"] = lo
    schema["exclusiveMaximum" if hi_x else "maximum"] = lo + width
    compiled = constrained.compile_json_schema(schema, None)
    validator = jsonschema.Draft202012Validator(schema)
    texts = ["-1", "-0.9", "-0.75", "-0.5", "-0.25", "-0.1", "0", "0.1", "0.25", "0.250", "0.5", "0.75", "1", "1.5",
             "1.75", "2", "2.5", "-0.7500", "0.2500001"]  # fmt: skip
    for text in texts:
        assert compiled.accepts(text) == validator.is_valid(json.loads(text)), (schema, text)


@given(
    cond=st.sampled_from([{"minimum": 2}, {"exclusiveMaximum": 0}, {"const": 3}, {"enum": [1, 4]},
                          {"type": "number", "maximum": 1}]),  # fmt: skip
    then=st.sampled_from([{"type": "integer"}, {"maximum": 6}, False, {"enum": [3, "x"]}]),
    otherwise=st.sampled_from([{"type": "string"}, {"minimum": -2}, True]),
)
@settings(max_examples=60, deadline=None)
def test_if_with_a_number_condition(cond: dict, then: Any, otherwise: Any) -> None:
    schema = {"if": cond, "then": then, "else": otherwise}
    compiled = constrained.compile_json_schema(schema, None)
    validator = jsonschema.Draft202012Validator(schema)
    for value in VALUES:
        assert compiled.accepts(json.dumps(value)) == validator.is_valid(value), (schema, value)


@given(
    negated=st.sampled_from([{"required": ["a"]}, {"required": ["a", "b"]}, {"type": "object", "required": ["a"]},
                             {"type": "object", "required": ["a", "b"]}]),  # fmt: skip
    outer=st.sampled_from([{}, {"type": "object"}, {"type": ["object", "string"]}, {"type": "integer"},
                           {"properties": {"a": {"type": "integer"}}}]),  # fmt: skip
)
@settings(max_examples=40, deadline=None)
def test_not_required_with_and_without_type_object(negated: dict, outer: dict) -> None:
    schema = {**outer, "not": negated}
    compiled = constrained.compile_json_schema(schema, None)
    validator = jsonschema.Draft202012Validator(schema)
    values: list[Any] = [*VALUES, {"a": 1}, {"b": 2}, {"a": 1, "b": 2}, {"a": "x"}, {"c": 3}]
    for value in values:
        assert compiled.accepts(json.dumps(value)) == validator.is_valid(value), (schema, value)
