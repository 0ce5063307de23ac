"""Formats added for the corpora: uri-reference, uri-template, json-pointer, relative-json-pointer, duration,
the internationalized aliases and OpenAPI's string formats; unknown names stay refused."""

from __future__ import annotations

import json

import pytest

import constrained
from constrained.errors import UnsupportedFeature

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


@pytest.mark.parametrize("name", ["int32", "no-such-format", "regex"])
def test_unknown_or_unsupported_format_is_refused_by_name(name: str) -> None:
    with pytest.raises(UnsupportedFeature) as info:
        constrained.compile_json_schema({"properties": {"p": {"type": "string", "format": name}}}, None)
    assert (info.value.keyword, info.value.pointer) == ("format", "/properties/p/format")
