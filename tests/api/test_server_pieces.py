"""Unit tests of the server's HTTP-independent pieces: reasoning split, tool-call schemas and parsing, constraint
specs and their refusals, context fitting, metrics text. The live-server tests are in ``test_server_live.py``."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

import constrained
from api.constraints import ConstraintRefused, ConstraintSpec, compile_spec, grammar_syntax, request_constraint
from api.metrics import Metrics
from api.prompts import ContextLengthExceeded, fit_context
from api.reasoning import ReasoningSplitter, split_reasoning
from api.schemas import decode_chat_request, decode_completion_request
from api.tools import parse_auto_calls, parse_forced_calls, tool_constraint, tool_mode

WEATHER = {"type": "function", "function": {"name": "weather", "parameters": {
    "type": "object", "properties": {"city": {"enum": ["Paris", "Oslo"]}, "days": {"type": "integer", "minimum": 1,
                                                                                   "maximum": 7}},
    "required": ["city", "days"], "additionalProperties": False}}}
CLOCK = {"type": "function", "function": {"name": "clock"}}
USER = [{"role": "user", "content": "hi"}]


def chat(**fields: Any) -> Any:
    return decode_chat_request(json.dumps({"model": "m", "messages": USER, **fields}))


# --- reasoning ------------------------------------------------------------------------------------------------

REASONING_CASES = [
    ("<think>plan</think>answer", False, ("plan", "answer")),
    ("  <think>a</think>\nb", False, ("a", "b")),
    ("no thinking here", False, (None, "no thinking here")),
    ("text <think>x</think>", False, (None, "text <think>x</think>")),  # only at the start
    ("<think>unfinished", False, ("unfinished", "")),
    ("plan</think>answer", True, ("plan", "answer")),  # the prompt opened the thought
    ("<thin", False, (None, "<thin")),
    ("", False, (None, "")),
]


@pytest.mark.parametrize(("text", "opened", "expected"), REASONING_CASES)
def test_split_reasoning(text: str, opened: bool, expected: tuple[str | None, str]) -> None:
    assert split_reasoning(text, opened=opened) == expected


@given(st.sampled_from([c[0] for c in REASONING_CASES]) | st.text(alphabet="<>/thinkab \n", max_size=30),
       st.lists(st.integers(min_value=0, max_value=30), max_size=6), st.booleans())
def test_streamed_reasoning_split_matches_the_whole(text: str, cuts: list[int], opened: bool) -> None:
    splitter = ReasoningSplitter(opened=opened)
    reasoning, content, start = "", "", 0
    for cut in [*sorted(min(c, len(text)) for c in cuts), len(text)]:
        r, c = splitter.feed(text[start:cut])
        reasoning, content, start = reasoning + r, content + c, cut
    r, c = splitter.finish()
    whole_reasoning, whole_content = split_reasoning(text, opened=opened)
    assert (reasoning + r, content + c) == (whole_reasoning or "", whole_content)


# --- tools ----------------------------------------------------------------------------------------------------


def _schema_of(request: Any) -> dict[str, Any]:
    spec = tool_constraint(request)
    assert spec is not None and spec.kind == "json_schema"
    return dict(spec.value)


def test_named_tool_choice_constrains_to_the_arguments() -> None:
    request = chat(tools=[WEATHER, CLOCK], tool_choice={"type": "function", "function": {"name": "weather"}})
    assert _schema_of(request) == WEATHER["function"]["parameters"]  # type: ignore[index]
    calls = parse_forced_calls('{"city": "Oslo", "days": 2}', tool_mode(request))
    assert calls is not None and [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("weather", {"city": "Oslo", "days": 2})]
    assert calls[0].id.startswith("call_")


@pytest.mark.parametrize("parallel", [None, False])
def test_required_accepts_exactly_valid_calls(parallel: bool | None) -> None:
    request = chat(tools=[WEATHER, CLOCK], tool_choice="required", parallel_tool_calls=parallel)
    validator = jsonschema.Draft202012Validator(_schema_of(request))
    one = {"name": "weather", "arguments": {"city": "Paris", "days": 3}}
    good = [one, {"name": "clock", "arguments": {}}]
    bad = [{"name": "weather", "arguments": {"city": "Rome", "days": 3}}, {"name": "nope", "arguments": {}},
           {"name": "clock", "arguments": {"x": 1}}, {"name": "weather"}]
    wrap = (lambda v: v) if parallel is False else (lambda v: [v])
    for value in good:
        assert validator.is_valid(wrap(value)), value
    for value in bad:
        assert not validator.is_valid(wrap(value)), value
    if parallel is None:
        assert validator.is_valid(good) and not validator.is_valid([])
    compiled = constrained.compile_json_schema(_schema_of(request), None)  # the compiler agrees
    assert compiled.accepts(json.dumps(wrap(one))) and not compiled.accepts(json.dumps(wrap(bad[0])))
    calls = parse_forced_calls(json.dumps(wrap(one)), tool_mode(request))
    assert calls is not None and calls[0].function.name == "weather"


def test_forced_output_cut_short_is_not_a_call() -> None:
    request = chat(tools=[WEATHER], tool_choice="required")
    assert parse_forced_calls('[{"name": "weather", "argu', tool_mode(request)) is None


AUTO_CASES: list[tuple[str, str | None, list[str]]] = [
    ('<tool_call>{"name": "clock", "arguments": {}}</tool_call>', None, ["clock"]),
    ('Sure.\n<tool_call>\n{"name": "weather", "arguments": {"city": "Oslo", "days": 1}}\n</tool_call>', "Sure.",
     ["weather"]),
    ('<tool_call>{"name": "clock", "arguments": {}}</tool_call><tool_call>{"name": "clock", "arguments": {}}',
     None, ["clock", "clock"]),
    ('{"name": "clock", "arguments": {}}', None, ["clock"]),
    ('{"name": "clock", "parameters": {}}', None, ["clock"]),
    ('[{"name": "clock", "arguments": {}}]', None, ["clock"]),
    ('<tool_call>[{"name": "clock", "arguments": {}}, {"name": "weather", "arguments": {"city": "Oslo", "days": 1}}]'
     '</tool_call>', None, ["clock", "weather"]),
    ("<tool_call>[]</tool_call>", "<tool_call>[]</tool_call>", []),
    ('<tool_call>[{"name": "clock", "arguments": {}}, 5]</tool_call>', '<tool_call>[{"name": "clock", "arguments": '
     '{}}, 5]</tool_call>', []),
    ("[]", "[]", []),
    ('{"name": "unknown", "arguments": {}}', '{"name": "unknown", "arguments": {}}', []),
    ("<tool_call>not json</tool_call>", "<tool_call>not json</tool_call>", []),
    ("just text", "just text", []),
]


@pytest.mark.parametrize(("text", "content", "names"), AUTO_CASES)
def test_auto_calls_are_parsed_from_the_model_format(text: str, content: str | None, names: list[str]) -> None:
    got_content, calls = parse_auto_calls(text, tool_mode(chat(tools=[WEATHER, CLOCK])))
    assert got_content == content and [c.function.name for c in calls] == names


def test_tool_choice_none_and_auto_do_not_constrain() -> None:
    assert tool_constraint(chat(tools=[WEATHER], tool_choice="none")) is None
    assert tool_constraint(chat(tools=[WEATHER])) is None
    assert tool_mode(chat(tools=[WEATHER], tool_choice="none")).kind == "none"


# --- constraints ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "kind", "param"), [
    ({"response_format": {"type": "json_object"}}, "json_schema", "response_format"),
    ({"response_format": {"type": "json_object", "schema": {"type": "integer"}}}, "json_schema",
     "response_format.schema"),
    ({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "integer"}}}},
     "json_schema", "response_format.json_schema.schema"),
    ({"guided_json": {"type": "integer"}}, "json_schema", "guided_json"),
    ({"guided_regex": "a+"}, "regex", "guided_regex"),
    ({"guided_choice": ["a", "b"]}, "choice", "guided_choice"),
    ({"guided_grammar": 'root ::= "a"'}, "grammar", "guided_grammar"),
    ({"response_format": {"type": "text"}}, None, None),
    ({}, None, None),
])
def test_request_constraint_names_its_field(fields: dict[str, Any], kind: str | None, param: str | None) -> None:
    spec = request_constraint(chat(**fields))
    assert (spec.kind, spec.param) == (kind, param) if spec else kind is None


def test_grammar_syntax_is_detected() -> None:
    assert grammar_syntax('root ::= "a" | "b"') == "gbnf"
    assert grammar_syntax('start: "a" | "b"') == "lark"


@pytest.mark.parametrize(("spec", "code", "needle"), [
    (ConstraintSpec("json_schema", {"type": "string", "pattern": "(?<=a)b"}, "guided_json"),
     "unsupported_feature", "'pattern'"),
    (ConstraintSpec("regex", "(a", "guided_regex"), "invalid_constraint", "guided_regex"),
    (ConstraintSpec("regex", r"(a)\1", "guided_regex"), "unsupported_feature", "guided_regex"),
    (ConstraintSpec("grammar", "start: undefined_rule", "guided_grammar"), "invalid_constraint", "guided_grammar"),
    (ConstraintSpec("json_schema", {"type": "object"}, "guided_json", whitespace=" *"), "invalid_constraint",
     "guided_whitespace_pattern"),
])
def test_compile_refusals_name_field_and_feature(spec: ConstraintSpec, code: str, needle: str) -> None:
    with pytest.raises(ConstraintRefused) as exc:
        compile_spec(spec, None)
    assert exc.value.code == code and needle in exc.value.message
    assert exc.value.param in (spec.param, "guided_whitespace_pattern")


def test_custom_whitespace_pattern_is_honoured() -> None:
    compiled = compile_spec(ConstraintSpec("json_schema", {"type": "array", "items": {"type": "integer"}},
                                           "guided_json", whitespace="[ ]?"), None)
    assert compiled.accepts("[1, 2]") and compiled.accepts("[1,2]") and not compiled.accepts("[1,  2]")


# --- context fitting --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("prompt", "requested", "truncate", "expected"), [
    (10, None, True, 90), (10, 20, True, 20), (10, 200, True, 90), (99, None, False, 1), (10, 90, False, 90),
    (10, 91, False, None), (100, None, True, None), (150, 5, True, None),
])
def test_fit_context(prompt: int, requested: int | None, truncate: bool, expected: int | None) -> None:
    if expected is None:
        with pytest.raises(ContextLengthExceeded):
            fit_context(prompt, requested, 100, truncate=truncate)
    else:
        assert fit_context(prompt, requested, 100, truncate=truncate) == expected


def test_completion_prompt_forms_decode() -> None:
    assert decode_completion_request(b'{"model": "m", "prompt": [[1, 2], [3]]}').prompts == [[1, 2], [3]]


# --- metrics ----------------------------------------------------------------------------------------------------


def test_metrics_text_counts_requests_tokens_and_latency() -> None:
    metrics = Metrics()
    metrics.observe_request("chat", 200, 0.2)
    metrics.observe_request("chat", 400, 3.0)
    metrics.add_tokens(10, 5)
    text = metrics.render({"running": 2, "waiting": 1, "name": "not a number"})
    lines = set(text.splitlines())
    assert 'constrained_requests_total{endpoint="chat",status="200"} 1' in lines
    assert 'constrained_request_latency_seconds_bucket{endpoint="chat",le="0.25"} 1' in lines
    assert 'constrained_request_latency_seconds_bucket{endpoint="chat",le="+Inf"} 2' in lines
    assert "constrained_prompt_tokens_total 10" in lines and "constrained_generation_tokens_total 5" in lines
    assert "constrained_engine_running 2" in lines and "constrained_engine_waiting 1" in lines
    assert "not a number" not in text
