"""The official ``openai`` SDK against a live server on loopback, running the real engine with a tiny random model.

One server per module (uvicorn in a thread). The model's weights are random, so the tests check what must hold
whatever the text: shapes (validated against OpenAI's OpenAPI schemas), token accounting, determinism under a
seed, that constrained output always satisfies its constraint, and the OpenAI error shape of every refusal.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import httpx
import jsonschema
import openai
import pydantic
import pytest

from api.app import ServerSettings
from engine.async_engine import AsyncEngine
from tests.api.live_server import serving, sse_events
from tests.api.test_openapi_contract import _rewrite_nullable, check
from tests.conftest import shared_path
from tests.engine.tiny_model import write_tiny_chat_model

KEY = "test-key"
MODEL = "tiny"
MAX_BODY = 256 * 1024
USER: Any = [{"role": "user", "content": "hello"}]


@dataclass
class Live:
    base_url: str
    engine: AsyncEngine

    def post(self, path: str, body: dict[str, Any], key: str | None = KEY) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.post(self.base_url + path, json=body, headers=headers, timeout=60)

    def bias_towards(self, *texts: str) -> dict[str, int]:
        """``logit_bias`` that makes the random model pick these one-token texts whenever a constraint allows them
        (so that unbounded JSON, such as free strings or arrays, closes within the tiny model's context)."""
        ids = [self.post("/tokenize", {"prompt": t, "add_special_tokens": False}).json()["tokens"] for t in texts]
        assert all(len(i) == 1 for i in ids)
        return {str(i[0]): 100 for i in ids}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    path = write_tiny_chat_model(tmp_path_factory.mktemp("tiny"))
    engine = AsyncEngine.from_model(str(path))
    with serving(ServerSettings(MODEL, api_key=KEY, max_body_bytes=MAX_BODY), engine) as running:
        yield Live(running.base_url, engine)


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    """OpenAI's component schemas (``nullable`` rewritten), as in ``test_openapi_contract``."""
    path = shared_path("corpora", "openai-openapi", "openai_chat_completions_subset.json")
    return {"components": _rewrite_nullable(json.loads(path.read_text(encoding="utf-8"))["components"])}


@pytest.fixture(scope="module")
def client(live: Live) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(api_key=KEY, base_url=live.base_url + "/v1", max_retries=0, timeout=60) as c:
        yield c


def assert_openai_error(response: httpx.Response, status: int, param: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    if param is not None:
        assert error["param"] == param
    return dict(error)


# --- chat basics ----------------------------------------------------------------------------------------------


def test_create_answers_in_openai_shape(live: Live, openapi: dict[str, Any]) -> None:
    response = live.post("/v1/chat/completions", {"model": MODEL, "messages": USER, "max_tokens": 8, "seed": 3})
    body = response.json()
    check(openapi, "CreateChatCompletionResponse", body)
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-") and body["model"] == MODEL
    choice = body["choices"][0]
    assert choice["message"]["role"] == "assistant" and choice["finish_reason"] in ("stop", "length")
    usage = body["usage"]
    assert 1 <= usage["completion_tokens"] <= 8
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    tokenized = live.post("/tokenize", {"messages": USER}).json()
    assert usage["prompt_tokens"] == tokenized["count"]


def test_sdk_create_and_seed_reproducibility(client: openai.OpenAI) -> None:
    def run(seed: int) -> str:
        reply = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=12, seed=seed, temperature=1.0)
        return reply.choices[0].message.content or ""

    first = run(7)
    assert run(7) == first
    assert any(run(seed) != first for seed in (8, 9, 10))  # random weights: different seeds, different samples


def test_stream_with_usage_matches_the_whole_answer(live: Live, client: openai.OpenAI,
                                                    openapi: dict[str, Any]) -> None:
    request = {"model": MODEL, "messages": USER, "max_tokens": 10, "seed": 5}
    whole = client.chat.completions.create(**request)
    response = live.post("/v1/chat/completions", {**request, "stream": True, "stream_options": {"include_usage": True}})
    events = sse_events(response)
    for event in events:
        check(openapi, "CreateChatCompletionStreamResponse", event)
    assert events[0]["choices"][0]["delta"]["role"] == "assistant"
    assert events[-1]["choices"] == [] and events[-1]["usage"] == whole.usage.model_dump(exclude_none=True)  # type: ignore[union-attr]
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])
    assert text == whole.choices[0].message.content
    finishes = [e["choices"][0]["finish_reason"] for e in events if e["choices"]]
    assert finishes[-1] == whole.choices[0].finish_reason and all(f is None for f in finishes[:-1])


def test_streamed_logprobs_match_the_whole_answer(live: Live) -> None:
    request = {"model": MODEL, "messages": USER, "max_tokens": 8, "seed": 11, "logprobs": True, "top_logprobs": 2}
    whole = live.post("/v1/chat/completions", request).json()["choices"][0]["logprobs"]["content"]
    events = sse_events(live.post("/v1/chat/completions", {**request, "stream": True}))
    streamed = [entry for e in events for c in e["choices"] if c["logprobs"] for entry in c["logprobs"]["content"]]
    assert [e["token"] for e in streamed] == [e["token"] for e in whole]
    assert [round(e["logprob"], 4) for e in streamed] == [
        round(e["logprob"], 4) for e in whole]


def test_request_id_becomes_the_response_id(live: Live) -> None:
    body = {"model": MODEL, "messages": USER, "max_tokens": 2, "request_id": "order-42"}
    assert live.post("/v1/chat/completions", body).json()["id"] == "chatcmpl-order-42"
    events = sse_events(live.post("/v1/chat/completions", {**body, "stream": True}))
    assert {e["id"] for e in events} == {"chatcmpl-order-42"}
    completion = live.post("/v1/completions", {"model": MODEL, "prompt": "a", "max_tokens": 2, "request_id": "c-1"})
    assert completion.json()["id"] == "cmpl-c-1"


def test_chat_template_echo_and_continue_final_message(live: Live) -> None:
    template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    plain = live.post("/v1/chat/completions", {"model": MODEL, "messages": USER, "max_tokens": 1,
                                               "chat_template": template}).json()
    assert plain["usage"]["prompt_tokens"] == len(live.post("/tokenize", {"prompt": "hello"}).json()["tokens"])
    conversation = [*USER, {"role": "assistant", "content": "The answer is"}]
    reply = live.post("/v1/chat/completions", {"model": MODEL, "messages": conversation, "max_tokens": 3,
                                               "echo": True, "continue_final_message": True,
                                               "add_generation_prompt": False}).json()
    assert reply["choices"][0]["message"]["content"].startswith("The answer is")
    rendered = live.post("/tokenize", {"messages": conversation, "continue_final_message": True}).json()
    assert reply["usage"]["prompt_tokens"] == rendered["count"]
    assert rendered["tokens"][-1] != 1  # the turn is left open: no <|im_end|> after the assistant text


def test_sdk_stream_parses(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=6, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens <= 6


def test_n_choices(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=5, n=3, seed=1)
    assert sorted(c.index for c in reply.choices) == [0, 1, 2]
    assert reply.usage is not None and reply.usage.completion_tokens <= 15


def test_logprobs_with_top_logprobs(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=8, logprobs=True, top_logprobs=3,
                                           seed=2)
    choice = reply.choices[0]
    assert choice.logprobs is not None and choice.logprobs.content
    entries = choice.logprobs.content
    assert reply.usage is not None and len(entries) == reply.usage.completion_tokens
    for entry in entries:
        assert entry.logprob <= 0 and len(entry.top_logprobs) == 3
        tops = [t.logprob for t in entry.top_logprobs]
        assert tops == sorted(tops, reverse=True) and entry.logprob <= tops[0] + 1e-6
    if choice.finish_reason == "length":  # no stop text removed: the token bytes spell the content exactly
        raw = b"".join(bytes(e.bytes or []) for e in entries)
        assert raw.decode("utf-8", errors="replace") == choice.message.content


def test_stop_string_cuts_the_output(client: openai.OpenAI) -> None:
    base = client.completions.create(model=MODEL, prompt="hello", max_tokens=24, temperature=0)
    text = base.choices[0].text
    stop = next((text[i:i + 2] for i in range(3, len(text) - 2) if text[i:i + 2].strip()
                 and text.find(text[i:i + 2]) == i), None)
    assert stop is not None, text
    cut = client.completions.create(model=MODEL, prompt="hello", max_tokens=24, temperature=0, stop=[stop])
    assert cut.choices[0].text == text[: text.index(stop)] and cut.choices[0].finish_reason == "stop"


# --- structured outputs ----------------------------------------------------------------------------------------

TICKET = {
    "type": "object",
    "properties": {"p": {"enum": ["low", "high"]}, "n": {"type": "integer", "minimum": 0, "maximum": 9},
                   "ok": {"type": "boolean"}},
    "required": ["p", "n", "ok"],
    "additionalProperties": False,
}


def _json_answer(reply: Any) -> Any:
    choice = reply.choices[0]
    assert choice.finish_reason == "stop", choice.message.content
    return json.loads(choice.message.content)


COMPACT = {"guided_whitespace_pattern": ""}  # the random model would fill every allowed whitespace run


def test_json_object(live: Live, client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=150, seed=0,
                                           response_format={"type": "json_object"}, extra_body=COMPACT,
                                           logit_bias=live.bias_towards("}", '"'))
    assert isinstance(_json_answer(reply), dict)
    with_schema = client.chat.completions.create(
        model=MODEL, messages=USER, max_tokens=150, seed=0, extra_body=COMPACT,
        response_format={"type": "json_object", "schema": TICKET})  # type: ignore[typeddict-unknown-key]
    jsonschema.validate(_json_answer(with_schema), TICKET)


def test_json_schema_strict(client: openai.OpenAI) -> None:
    for seed in range(3):
        reply = client.chat.completions.create(
            model=MODEL, messages=USER, max_tokens=200, seed=seed, extra_body=COMPACT,
            response_format={"type": "json_schema", "json_schema": {"name": "ticket", "schema": TICKET,
                                                                    "strict": True}})
        jsonschema.validate(_json_answer(reply), TICKET)


class Priority(str, Enum):
    low = "low"
    high = "high"


class Ticket(pydantic.BaseModel):
    p: Priority
    ok: bool


def test_parse_with_a_pydantic_model(client: openai.OpenAI) -> None:
    reply = client.chat.completions.parse(model=MODEL, messages=USER, max_tokens=200, seed=1,
                                          response_format=Ticket, extra_body=COMPACT)
    parsed = reply.choices[0].message.parsed
    assert isinstance(parsed, Ticket) and parsed.p in (Priority.low, Priority.high)


@pytest.mark.parametrize(("extra", "accepts"), [
    ({"guided_regex": r"[ab]{3}-\d{2}"}, lambda t: re.fullmatch(r"[ab]{3}-\d{2}", t) is not None),
    ({"guided_choice": ["yes", "no", "maybe"]}, lambda t: t in ("yes", "no", "maybe")),
    ({"guided_grammar": 'start: "(" ITEM ("," ITEM)~0..2 ")"\nITEM: "x" | "y"'},
     lambda t: re.fullmatch(r"\([xy](,[xy]){0,2}\)", t) is not None),
    ({"guided_grammar": 'root ::= "go " dir\ndir ::= "north" | "south"'}, lambda t: t in ("go north", "go south")),
])
def test_guided_fields_through_extra_body(client: openai.OpenAI, extra: dict[str, Any], accepts: Any) -> None:
    for seed in range(3):
        reply = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=40, seed=seed,
                                               extra_body=extra)
        text = reply.choices[0].message.content or ""
        assert reply.choices[0].finish_reason == "stop" and accepts(text), text


def test_guided_json_through_extra_body(live: Live, client: openai.OpenAI) -> None:
    for seed in range(2):
        reply = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=200, seed=seed,
                                               extra_body={"guided_json": TICKET, **COMPACT})
        jsonschema.validate(_json_answer(reply), TICKET)


def test_completions_accept_guided_choice(client: openai.OpenAI) -> None:
    reply = client.completions.create(model=MODEL, prompt="pick:", max_tokens=10, n=2,
                                      extra_body={"guided_choice": ["red", "green"]})
    assert sorted(c.index for c in reply.choices) == [0, 1]
    assert all(c.text in ("red", "green") for c in reply.choices)


# --- tools ----------------------------------------------------------------------------------------------------

WEATHER_PARAMS = {"type": "object", "properties": {"city": {"enum": ["Paris", "Oslo"]},
                                                   "days": {"type": "integer", "minimum": 1, "maximum": 7}},
                  "required": ["city", "days"], "additionalProperties": False}
TOOLS: Any = [{"type": "function", "function": {"name": "weather", "parameters": WEATHER_PARAMS}},
              {"type": "function", "function": {"name": "clock", "parameters": {"type": "object", "properties": {},
                                                                                "additionalProperties": False}}}]


def _check_calls(reply: Any) -> list[str]:
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls", choice.message.content
    names = []
    for call in choice.message.tool_calls:
        assert call.id.startswith("call_") and call.type == "function"
        schema = WEATHER_PARAMS if call.function.name == "weather" else TOOLS[1]["function"]["parameters"]
        jsonschema.validate(json.loads(call.function.arguments), schema)
        names.append(call.function.name)
    return names


def test_tool_choice_named(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=80, seed=4, tools=TOOLS,
                                           tool_choice={"type": "function", "function": {"name": "weather"}})
    assert _check_calls(reply) == ["weather"]


@pytest.mark.parametrize("parallel", [True, False])
def test_tool_choice_required(live: Live, client: openai.OpenAI, parallel: bool) -> None:
    reply = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=200, seed=6, tools=TOOLS,
                                           tool_choice="required", parallel_tool_calls=parallel,
                                           logit_bias=live.bias_towards("]"))
    names = _check_calls(reply)
    assert names and (parallel or len(names) == 1)


def test_streamed_named_tool_call(live: Live, openapi: dict[str, Any]) -> None:
    response = live.post("/v1/chat/completions", {"model": MODEL, "messages": USER, "max_tokens": 80, "seed": 4,
                                                  "tools": TOOLS, "stream": True,
                                                  "tool_choice": {"type": "function", "function": {"name": "weather"}}})
    events = sse_events(response)
    for event in events:
        check(openapi, "CreateChatCompletionStreamResponse", event)
    calls = [c for e in events for c in e["choices"][0]["delta"].get("tool_calls", [])]
    assert calls[0]["id"].startswith("call_") and calls[0]["function"]["name"] == "weather"
    jsonschema.validate(json.loads("".join(c["function"]["arguments"] for c in calls)), WEATHER_PARAMS)
    assert events[-1]["choices"][0]["finish_reason"] == "tool_calls"


# --- errors ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "param"), [
    ({"temperature": 2.5}, "temperature"),
    ({"top_p": 0}, "top_p"),
    ({"n": 0}, "n"),
    ({"top_logprobs": 2}, "top_logprobs"),
    ({"logit_bias": {"999999": 1}}, "logit_bias"),
    ({"max_tokens": 10_000, "context_length_exceeded_behavior": "error"}, "max_tokens"),
    ({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {
        "type": "string", "pattern": "(?<=a)b"}}}}, "response_format.json_schema.schema"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/a.png"}}]}]},
     "messages[0].content[0].type"),
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}, {
        "type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]}]}, "messages[0].content[1].type"),
    ({"messages": [{"role": "user", "content": "x" * 400}]}, "messages"),
    ({"guided_grammar": "start: undefined_rule"}, "guided_grammar"),
    ({"response_format": {"type": "json_object"}, "guided_regex": "a"}, "guided_regex"),
    ({"guided_whitespace_pattern": "[ ]?"}, "guided_whitespace_pattern"),
])
def test_bad_requests_are_400_in_openai_shape(live: Live, fields: dict[str, Any], param: str) -> None:
    assert_openai_error(live.post("/v1/chat/completions", {"model": MODEL, "messages": USER, **fields}), 400, param)


@pytest.mark.parametrize(("fields", "code", "needle"), [
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}, None,
     "'image_url' is not supported"),
    ({"messages": [{"role": "user", "content": "x" * 400}]}, "context_length_exceeded", "context"),
    ({"max_tokens": 10_000, "context_length_exceeded_behavior": "error"}, "context_length_exceeded", "max_tokens"),
    ({"guided_json": {"type": "string", "pattern": "(?<=a)b"}}, "unsupported_feature", "'pattern'"),
    ({"guided_regex": "(a"}, "invalid_constraint", "guided_regex"),
])
def test_refusals_say_why(live: Live, fields: dict[str, Any], code: str | None, needle: str) -> None:
    error = assert_openai_error(live.post("/v1/chat/completions", {"model": MODEL, "messages": USER, **fields}), 400)
    assert error["code"] == code and needle in error["message"], error


def test_unsupported_schema_keyword_is_named(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(model=MODEL, messages=USER, extra_body={
            "guided_json": {"type": "string", "pattern": "(?<=a)b"}})
    assert "'pattern'" in exc.value.message and exc.value.code == "unsupported_feature"


def test_unknown_model_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as exc:
        client.chat.completions.create(model="gpt-nope", messages=USER)
    assert exc.value.code == "model_not_found"


@pytest.mark.parametrize("key", [None, "wrong"])
def test_missing_or_wrong_key_is_401(live: Live, key: str | None) -> None:
    assert_openai_error(live.post("/v1/chat/completions", {"model": MODEL, "messages": USER}, key=key), 401)
    if key is not None:  # the SDK itself refuses to send a request without a key
        with openai.OpenAI(api_key=key, base_url=live.base_url + "/v1", max_retries=0) as bad:
            with pytest.raises(openai.AuthenticationError):
                bad.models.list()


def test_body_over_the_limit_is_413(live: Live) -> None:
    big = [{"role": "user", "content": "x" * (MAX_BODY + 10)}]
    assert_openai_error(live.post("/v1/chat/completions", {"model": MODEL, "messages": big}), 413)


@pytest.mark.parametrize(("body", "key", "status"), [
    ({"model": MODEL, "messages": USER, "temperature": -1}, KEY, 400),
    ({"model": MODEL, "messages": USER}, "wrong", 401),
    ({"model": "gpt-nope", "messages": USER}, KEY, 404),
    ({"model": MODEL, "messages": [{"role": "user", "content": "x" * (MAX_BODY + 10)}]}, KEY, 413),
])
def test_error_bodies_match_openai_schema(live: Live, openapi: dict[str, Any], body: dict[str, Any], key: str,
                                          status: int) -> None:
    response = live.post("/v1/chat/completions", body, key=key)
    assert response.status_code == status
    check(openapi, "ErrorResponse", response.json())


# --- completions, utilities, lifecycle ------------------------------------------------------------------------


def test_completion_echo_n_and_logprobs(live: Live, client: openai.OpenAI, openapi: dict[str, Any]) -> None:
    body = live.post("/v1/completions", {"model": MODEL, "prompt": ["ab", "cd"], "max_tokens": 4, "n": 2,
                                         "logprobs": 2, "seed": 1}).json()
    check(openapi, "CreateCompletionResponse", body)
    assert [c["index"] for c in body["choices"]] == [0, 1, 2, 3]
    for choice in body["choices"]:
        lp = choice["logprobs"]
        assert len(lp["tokens"]) == len(lp["token_logprobs"]) == len(lp["top_logprobs"]) == len(lp["text_offset"])
        assert all(len(top) <= 2 for top in lp["top_logprobs"])
    echoed = client.completions.create(model=MODEL, prompt="abc", max_tokens=3, echo=True)
    assert echoed.choices[0].text.startswith("abc")
    only_prompt = client.completions.create(model=MODEL, prompt="abc", max_tokens=0, echo=True)
    assert only_prompt.choices[0].text == "abc"


def test_streamed_completion(live: Live, openapi: dict[str, Any]) -> None:
    request = {"model": MODEL, "prompt": "hi", "max_tokens": 6, "seed": 9}
    whole = live.post("/v1/completions", request).json()
    events = sse_events(live.post("/v1/completions", {**request, "stream": True,
                                                       "stream_options": {"include_usage": True}}))
    for event in events:  # OpenAI's schema lists no null finish_reason, which every chunk but the last carries
        if event["choices"] and event["choices"][0]["finish_reason"] is not None:
            check(openapi, "CreateCompletionResponse", event)
    assert [e["choices"][0]["finish_reason"] for e in events if e["choices"]][-1] in ("stop", "length")
    assert "".join(c["text"] for e in events for c in e["choices"]) == whole["choices"][0]["text"]
    assert events[-1]["usage"] == whole["usage"]


def test_tokenize_detokenize_round_trip(live: Live) -> None:
    ids = live.post("/tokenize", {"prompt": "hello world"}).json()["tokens"]
    assert live.post("/detokenize", {"tokens": ids}).json() == {"prompt": "hello world"}
    chat_ids = live.post("/tokenize", {"messages": [{"role": "user", "content": "<|im_end|>"}]}).json()["tokens"]
    assert chat_ids.count(1) == 1  # the template's own <|im_end|> only: user text never becomes a control token


def test_models_health_and_metrics(live: Live, client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == [MODEL]
    client.chat.completions.create(model=MODEL, messages=USER, max_tokens=2)  # counted below, whatever ran before
    assert httpx.get(live.base_url + "/health").json()["status"] == "ok"
    metrics = httpx.get(live.base_url + "/metrics")
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = metrics.text
    assert re.search(r'constrained_requests_total\{endpoint="chat",status="200"\} [1-9]', text)
    assert re.search(r"constrained_generation_tokens_total [1-9]", text)
    assert "constrained_engine_num_running" in text
    assert_prometheus_text(text)
    paths = httpx.get(live.base_url + "/schema/openapi.json").json()["paths"]
    assert {"/v1/chat/completions", "/v1/completions", "/tokenize", "/detokenize", "/metrics"} <= set(paths)


PROMETHEUS_SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"'
                               r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*\})? -?[0-9.e+-]+$|^[a-z_]+ (\+Inf|NaN)$')


def assert_prometheus_text(text: str) -> None:
    """Prometheus text exposition 0.0.4: HELP and TYPE before each family's samples, samples well formed."""
    assert text.endswith("\n")
    typed: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram") and name not in typed, line
            typed[name] = kind
            continue
        match = PROMETHEUS_SAMPLE.match(line)
        assert match, f"malformed sample line: {line!r}"
        name = match["name"]
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in typed else name
        assert family in typed, f"sample before its TYPE line: {line!r}"


def test_client_disconnect_aborts_the_stream(live: Live) -> None:
    body = {"model": MODEL, "messages": USER, "max_tokens": 200, "ignore_eos": True, "stream": True}
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.stream("POST", live.base_url + "/v1/chat/completions", json=body, headers=headers) as response:
        lines = response.iter_lines()
        assert next(lines).startswith("data: ")
    deadline = time.monotonic() + 20
    while live.engine.stats().num_running or live.engine.stats().num_waiting:
        assert time.monotonic() < deadline, "the request kept running after the client left"
        time.sleep(0.05)


def test_client_disconnect_aborts_a_whole_answer(live: Live) -> None:
    before = live.engine.stats().generation_tokens_total
    body = {"model": MODEL, "messages": USER, "max_tokens": 220, "ignore_eos": True, "n": 8}
    with pytest.raises(httpx.TimeoutException):  # the client gives up and closes the connection
        httpx.post(live.base_url + "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"},
                   timeout=0.3)
    deadline = time.monotonic() + 20
    while live.engine.stats().num_running or live.engine.stats().num_waiting:
        assert time.monotonic() < deadline, "the request kept running after the client left"
        time.sleep(0.05)
    assert live.engine.stats().generation_tokens_total - before < 8 * 220


def test_truncate_fills_the_context_exactly(live: Live) -> None:
    max_model_len = httpx.get(live.base_url + "/v1/models", headers={"Authorization": f"Bearer {KEY}"}).json()[
        "data"][0]["max_model_len"]
    body = live.post("/v1/chat/completions", {"model": MODEL, "messages": USER, "max_tokens": 100_000,
                                              "ignore_eos": True}).json()
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["total_tokens"] == max_model_len
