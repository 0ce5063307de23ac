"""Formats added for the corpora: uri-reference, uri-template, json-pointer, relative-json-pointer, duration,
the internationalized aliases and OpenAPI's string formats; names no specification defines are annotations
(reported in ``describe()["ignored"]``); ``regex`` is a plain core of the syntax; ``formats="annotation"`` checks
none."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from jsonschema import FormatChecker

import constrained
from constrained import fuzz
from constrained.regex_parser import parse_regex

TABLE: dict[str, tuple[list[str], list[str]]] = {
    "duration": (
        ["P1D", "PT1H", "P1Y2M3DT4H5M6S", "P2W", "PT36H", "P1M", "PT1M30S"],
        ["P", "PT", "P1D2W", "1D", "P1H", "PT1D", "P2W1D", "P1Y1D2M"],
    ),
    "json-pointer": (["", "/foo", "/foo/0", "/a~1b", "/m~0n", "/ ", "/"], ["foo", "/~2", "/~", "#/a"]),
    "relative-json-pointer": (["0", "1/foo", "0#", "10/a~0"], ["-1", "01", "/foo", "0##", ""]),
    "uri-template": (
        ["http://example.com/dictionary/{term:1}/{term}", "{+path}/here", "{x,y}", "a{.var*}", "plain"],
        ["{", "http://a/{x", "{x:0}", "a b", "{}"],
    ),
    "uri-reference": (
        ["http://a.b/c", "/abc", "abc/def?x#y", "", "//host/p", "#frag", "?q", "../x"],
        ["\\\\WINDOWS", "a b", "#frag#x", "%zz"],
    ),
    "iri": (["http://example.com/x"], ["relative/path"]),
    "idn-hostname": (["example.com"], ["-bad-.com"]),
    "byte": (["", "QQ==", "QUI=", "QUJD", "QUJDRA==", "+/9z"], ["Q", "QQ=", "QUJDR", "Q===", "QU JD", "/9j/.../9k="]),
}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_format_table(name: str) -> None:
    compiled = constrained.compile_json_schema({"type": "string", "format": name}, None)
    good, bad = TABLE[name]
    for text in good:
        assert compiled.accepts(json.dumps(text)), text
    for text in bad:
        assert not compiled.accepts(json.dumps(text)), text


@pytest.mark.parametrize("name", ["binary", "password"])
def test_openapi_formats_that_constrain_nothing(name: str) -> None:
    compiled = constrained.compile_json_schema({"type": "string", "format": name}, None)
    assert compiled.accepts('"anything at all"') and compiled.accepts('""')
    assert not compiled.accepts("1")  # the type still holds


REGEXES = (
    ["", "a", "^v[0-9]+$", "(a|b)*", ".*\\.js$", "(?:ab)+?", "[^a-z\\d]", "a{2,3}", "a{0,10}", "((a)|)", "\\\\n"],
    ["[", "(", ")", "a**", "*a", "a{3,2}", "\\", "[]", "[z-a]", "(?<x>a)", "^*", "Invalid regex pattern ["],
)


def test_regex_format_accepts_a_core_of_the_syntax_and_never_an_invalid_regex() -> None:
    compiled = constrained.compile_json_schema({"type": "string", "format": "regex"}, None)
    good, bad = REGEXES
    for text in good:
        assert compiled.accepts(json.dumps(text)), text
    for text in bad:
        assert not compiled.accepts(json.dumps(text)), text
    for data in fuzz.sample(compiled, 300, seed=3):  # every text it allows compiles in Python and in our parser
        text = json.loads(data)
        re.compile(text)
        parse_regex(text, search=True)


@pytest.mark.parametrize("name", ["no-such-format", "path", "url", "int32"])
def test_a_format_no_specification_defines_checks_nothing_and_is_reported(name: str) -> None:
    schema = {"type": "object", "properties": {"p": {"type": "string", "format": name}}, "required": ["p"]}
    compiled = constrained.compile_json_schema(schema, None)
    for text in ("anything at all", "", "../x y"):
        instance = {"p": text}
        assert compiled.accepts(json.dumps(instance))
        assert jsonschema.Draft202012Validator(schema, format_checker=FormatChecker()).is_valid(instance)
    assert not compiled.accepts('{"p": 1}')  # the type still holds
    ignored = compiled.describe()["ignored"]
    assert [(note["keyword"], note["pointer"]) for note in ignored] == [("format", "/properties/p/format")]
    assert repr(name) in ignored[0]["reason"]


def test_known_formats_are_not_reported_as_ignored() -> None:
    assert constrained.compile_json_schema({"type": "string", "format": "date"}, None).describe()["ignored"] == []


@pytest.mark.parametrize("name", ["date", "email", "regex", "ipv4"])
def test_annotation_mode_checks_no_format_and_reports_each(name: str) -> None:
    # JSON Schema 2020-12's default vocabulary: "invalid email string is only an annotation by default".
    schema = {"type": "string", "format": name}
    compiled = constrained.compile_json_schema(schema, None, formats="annotation")
    assert compiled.accepts('"not a valid value of any format ["')
    assert not compiled.accepts("12")
    assert [note["pointer"] for note in compiled.describe()["ignored"]] == ["/format"]
    asserted = constrained.compile_json_schema({"type": "string", "format": "date"}, None)
    assert not asserted.accepts('"not a date"')  # the two modes are cached apart


def test_annotation_mode_also_drives_enum_filtering() -> None:
    # enum values are filtered by validating them against the siblings: a bad date stays under annotation.
    schema = {"type": "string", "format": "date", "enum": ["2020-01-01", "soon"]}
    assert not constrained.compile_json_schema(schema, None).accepts('"soon"')
    assert constrained.compile_json_schema(schema, None, formats="annotation").accepts('"soon"')


def test_unknown_format_mode_is_refused() -> None:
    with pytest.raises(constrained.InvalidConstraint):
        constrained.compile_json_schema({"type": "string"}, None, formats="sometimes")
