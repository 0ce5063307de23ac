"""``resources``: other schema documents by URI, for ``$ref``s that leave the schema's own document."""

from __future__ import annotations

import json

import jsonschema
import pytest
from referencing import Registry, Resource

import constrained
from constrained.errors import InvalidConstraint, UnsupportedFeature

ADDRESS_URI = "https://example.com/address.json"
ADDRESS = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"city": {"type": "string"}, "zip": {"$ref": "#/$defs/zip"}},
    "required": ["city"],
    "additionalProperties": False,
    "$defs": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}},
}
SCHEMA = {
    "type": "object",
    "properties": {"home": {"$ref": ADDRESS_URI}, "postcode": {"$ref": f"{ADDRESS_URI}#/$defs/zip"}},
    "required": ["home"],
    "additionalProperties": False,
}
INSTANCES = [
    {"home": {"city": "Oslo"}},
    {"home": {"city": "Oslo", "zip": "12345"}, "postcode": "54321"},
    {"home": {"city": "Oslo", "zip": "1234"}},
    {"home": {}},
    {"home": {"city": "Oslo"}, "postcode": "x"},
    {"postcode": "12345"},
]


def _valid(data: object) -> bool:
    registry = Registry().with_resource(ADDRESS_URI, Resource.from_contents(ADDRESS))
    return bool(jsonschema.Draft202012Validator(SCHEMA, registry=registry).is_valid(data))


def test_references_into_given_documents_are_exact() -> None:
    compiled = constrained.compile_json_schema(SCHEMA, None, resources={ADDRESS_URI: ADDRESS})
    verdicts = [compiled.accepts(json.dumps(data, separators=(",", ":"))) for data in INSTANCES]
    assert verdicts == [_valid(data) for data in INSTANCES]
    assert True in verdicts and False in verdicts


def test_without_the_document_the_reference_is_refused_by_name() -> None:
    with pytest.raises(UnsupportedFeature) as info:
        constrained.compile_json_schema(SCHEMA, None)
    assert (info.value.keyword, info.value.pointer) == ("$ref", "/properties/home/$ref")
    assert ADDRESS_URI in str(info.value)


def test_resources_are_part_of_the_cache_key() -> None:
    strict = {**ADDRESS, "properties": {"city": {"type": "string", "maxLength": 2}}}
    loose = constrained.compile_json_schema(SCHEMA, None, resources={ADDRESS_URI: ADDRESS})
    tight = constrained.compile_json_schema(SCHEMA, None, resources={ADDRESS_URI: strict})
    assert loose is not tight
    assert loose.accepts('{"home":{"city":"Oslo"}}') and not tight.accepts('{"home":{"city":"Oslo"}}')


@pytest.mark.parametrize("resources", [{"u": 5}, {1: {}}, ["x"]])
def test_malformed_resources_are_invalid(resources: object) -> None:
    with pytest.raises(InvalidConstraint):
        constrained.compile_json_schema(SCHEMA, None, resources=resources)  # type: ignore[arg-type]
