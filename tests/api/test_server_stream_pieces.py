"""Unit tests of streamed chat deltas per tool mode, and of how engine refusals map to HTTP errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from api.app import _refusal
from api.chat import ChatJob
from api.logprobs import TokenTexts
from api.prompts import Prompt
from api.runner import EngineBusy, EngineGone, Run, start
from api.schemas import RequestError, decode_chat_request
from api.streaming import ChatChoiceStream, chat_events
from api.tools import tool_mode
from engine.async_engine import EngineDead, EngineOverloaded
from engine.outputs import CompletionOutput, RequestOutput
from engine.sampling_params import SamplingParams

CLOCK = {"type": "function", "function": {"name": "clock", "parameters": {"type": "object", "properties": {}}}}


def job(**fields: Any) -> ChatJob:
    request = decode_chat_request(json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}],
                                              **fields}))
    return ChatJob(request, Prompt([1], 10, ""), SamplingParams(), tool_mode(request), "m")


def replay(stream: ChatChoiceStream, pieces: list[str], reason: Any = "stop") -> tuple[str, str, list[Any], str]:
    """Feed pieces; return (content, reasoning, tool-call deltas, finish reason)."""
    deltas = [d for piece in pieces for d in stream.delta(piece)]
    tail, finish = stream.finish(reason)
    deltas += tail
    content = "".join(d.content for d in deltas if isinstance(d.content, str))
    reasoning = "".join(d.reasoning_content for d in deltas if isinstance(d.reasoning_content, str))
    calls = [c for d in deltas if isinstance(d.tool_calls, list) for c in d.tool_calls]
    return content, reasoning, calls, finish


def test_plain_text_streams_with_reasoning_split() -> None:
    content, reasoning, calls, finish = replay(ChatChoiceStream(job()), ["<thi", "nk>plan</th", "ink>\nan", "swer"])
    assert (content, reasoning, calls, finish) == ("answer", "plan", [], "stop")


def test_named_tool_streams_arguments_after_id_and_name() -> None:
    stream = ChatChoiceStream(job(tools=[CLOCK], tool_choice={"type": "function", "function": {"name": "clock"}}))
    _, _, calls, finish = replay(stream, ["{", '"a"', ": 1}"])
    assert calls[0].id.startswith("call_") and calls[0].function.name == "clock"
    assert "".join(c.function.arguments for c in calls) == '{"a": 1}' and finish == "tool_calls"


def test_required_sends_whole_calls_at_the_end() -> None:
    stream = ChatChoiceStream(job(tools=[CLOCK], tool_choice="required"))
    content, _, calls, finish = replay(stream, ['[{"name": "cl', 'ock", "arguments": {}}]'])
    assert content == "" and finish == "tool_calls"
    assert [(c.index, c.function.name, c.function.arguments) for c in calls] == [(0, "clock", "{}")]


def test_required_cut_short_is_returned_as_text() -> None:
    stream = ChatChoiceStream(job(tools=[CLOCK], tool_choice="required"))
    content, _, calls, finish = replay(stream, ['[{"name": "cl'], reason="length")
    assert (content, calls, finish) == ('[{"name": "cl', [], "length")


@pytest.mark.parametrize(("pieces", "content", "names"), [
    (["Hello", " there"], "Hello there", []),
    (["  <tool", '_call>{"name": "clock", "arguments": {}}</tool_call>'], "", ["clock"]),
    (['{"name": "clock",', ' "arguments": {}}'], "", ["clock"]),
    (['{"not": "a call"}'], '{"not": "a call"}', []),
    (["<to", "day is fine"], "<today is fine", []),
])
def test_auto_holds_back_what_may_be_a_call(pieces: list[str], content: str, names: list[str]) -> None:
    got_content, _, calls, finish = replay(ChatChoiceStream(job(tools=[CLOCK])), pieces)
    assert got_content == content and [c.function.name for c in calls] == names
    assert finish == ("tool_calls" if names else "stop")


# --- engine refusals ------------------------------------------------------------------------------------------


class RefusingEngine:
    """Stands in for the engine's submission step only: ``generate`` raises before its first output."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc
        self.aborted: list[str] = []

    async def generate(self, request_id: str, prompt: list[int], params: Any, priority: int = 0) -> AsyncIterator[Any]:
        raise self.exc
        yield  # pragma: no cover - makes this an async generator

    async def abort(self, request_id: str) -> None:
        self.aborted.append(request_id)


def test_engine_value_error_is_a_400() -> None:
    with pytest.raises(RequestError) as exc:
        asyncio.run(start(RefusingEngine(ValueError("prompt too long")), "r", [1], None))
    assert _refusal(exc.value).status_code == 400


class EagerlyRefusingEngine(RefusingEngine):
    """Refuses when ``generate`` is called, before any iteration."""

    def generate(  # type: ignore[override]
        self, request_id: str, prompt: list[int], params: Any, priority: int = 0
    ) -> AsyncIterator[Any]:
        raise self.exc


@pytest.mark.parametrize("engine_type", [RefusingEngine, EagerlyRefusingEngine])
def test_engine_overloaded_is_a_429(engine_type: type[RefusingEngine]) -> None:
    with pytest.raises(EngineBusy) as exc:
        asyncio.run(start(engine_type(EngineOverloaded("queue full")), "r", [1], None))
    response = _refusal(exc.value)
    assert response.status_code == 429 and response.content["error"]["type"] == "rate_limit_error"


def test_engine_shutting_down_is_a_503() -> None:
    with pytest.raises(EngineGone) as exc:
        asyncio.run(start(EagerlyRefusingEngine(EngineDead("stopping")), "r", [1], None))
    assert _refusal(exc.value).status_code == 503


# --- errors after the stream began ------------------------------------------------------------------------------


class FailingEngine:
    """Aborts are recorded; nothing else is used by ``Run``."""

    def __init__(self) -> None:
        self.aborted: list[str] = []

    async def abort(self, request_id: str) -> None:
        self.aborted.append(request_id)


async def _one_then(failure: BaseException | None, reason: str | None) -> AsyncIterator[RequestOutput]:
    """The engine's outputs after the first: a failure, or a last output finishing with ``reason``."""
    if failure is not None:
        raise failure
    yield RequestOutput("r", [1], [CompletionOutput(0, "ab", [5, 6], "b", [6], finish_reason=reason)], True)


def _events(failure: BaseException | None, reason: str | None) -> list[Any]:
    first = RequestOutput("r", [1], [CompletionOutput(0, "a", [5], "a", [5])], False)
    run = Run(FailingEngine(), "r", first, _one_then(failure, reason))

    async def collect() -> list[bytes]:
        return [event async for event in chat_events(job(), run, TokenTexts(None))]

    events = asyncio.run(collect())
    assert all(e.startswith(b"data: ") and e.endswith(b"\n\n") for e in events)
    return [e[len(b"data: "):-2].decode() for e in events]


@pytest.mark.parametrize(("failure", "reason", "code"), [
    (RuntimeError("the model produced NaN"), None, "internal_error"),
    (None, "abort", "request_aborted"),
])
def test_an_error_after_streaming_began_is_one_error_event_then_the_end(failure: BaseException | None,
                                                                        reason: str | None, code: str) -> None:
    payloads = _events(failure, reason)
    chunks = [json.loads(p) for p in payloads]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[1]["choices"][0]["delta"] == {"content": "a"}  # what was generated before the failure
    error = chunks[-1]["error"]
    assert error["code"] == code and set(error) == {"message", "type", "param", "code"}
    assert "[DONE]" not in payloads and all("error" not in c for c in chunks[:-1])


def test_a_finished_stream_ends_with_done() -> None:
    payloads = _events(None, "stop")
    assert payloads[-1] == "[DONE]" and json.loads(payloads[-2])["choices"][0]["finish_reason"] == "stop"


# --- request ids ----------------------------------------------------------------------------------------------


def test_request_id_names_the_response_but_never_collides_in_the_engine() -> None:
    first, second = job(request_id="my-id"), job(request_id="my-id")
    assert first.request_id == second.request_id == "chatcmpl-my-id"
    assert first.engine_id != second.engine_id and first.engine_id.startswith("chatcmpl-my-id")
    assert job().request_id.startswith("chatcmpl-") and job().request_id != job().request_id


def test_an_unexpected_failure_is_a_500_in_openai_shape() -> None:
    response = _refusal(RuntimeError("the model produced NaN"))
    error = response.content["error"]
    assert response.status_code == 500 and error["type"] == "internal_error" and error["code"] == "internal_error"
    assert "RuntimeError" in error["message"] and set(error) == {"message", "type", "param", "code"}
