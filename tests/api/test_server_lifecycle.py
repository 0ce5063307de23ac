"""Live-server behaviour around the requests themselves: graceful shutdown, the bounded queue (429), compiling
off the event loop. Each test runs its own server (a shutdown ends it) on one tiny random model loaded once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

import constrained
from api.app import ServerSettings
from engine.async_engine import AsyncEngine
from engine.loader import LoadedModel, load_model
from tests.api.live_server import serving, sse_payloads
from tests.engine.tiny_model import write_tiny_chat_model

USER = [{"role": "user", "content": "hello"}]
LONG = {"model": "tiny", "messages": USER, "ignore_eos": True, "max_tokens": 10_000}  # fills the 256-token context


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    return load_model(str(write_tiny_chat_model(tmp_path_factory.mktemp("tiny"))))


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _in_background(call: Callable[[], httpx.Response]) -> tuple[threading.Thread, list[httpx.Response]]:
    result: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    return thread, result


# --- graceful shutdown ------------------------------------------------------------------------------------------


def test_shutdown_lets_running_streams_finish(model: LoadedModel) -> None:
    engine = AsyncEngine.from_model(model)
    with serving(ServerSettings("tiny"), engine, grace_s=60) as running:
        body = {**LONG, "stream": True, "stream_options": {"include_usage": True}}
        with httpx.stream("POST", running.base_url + "/v1/chat/completions", json=body, timeout=60) as response:
            payloads = sse_payloads(response.iter_lines())
            first = json.loads(next(payloads))
            running.server.should_exit = True  # what Ctrl-C does
            rest = list(payloads)
        assert first["choices"][0]["delta"]["role"] == "assistant"
        assert rest[-1] == "[DONE]", rest[-1]
        usage = json.loads(rest[-2])["usage"]
        assert usage["total_tokens"] == engine.max_model_len  # the whole answer, not cut by the shutdown
        running.thread.join(timeout=60)
        assert not running.thread.is_alive()


def test_shutdown_after_the_grace_period_ends_requests_cleanly(model: LoadedModel) -> None:
    engine = AsyncEngine.from_model(model)
    with serving(ServerSettings("tiny"), engine, grace_s=0) as running:
        url = running.base_url + "/v1/chat/completions"
        whole_thread, whole = _in_background(lambda: httpx.post(url, json=LONG, timeout=60))
        with httpx.stream("POST", url, json={**LONG, "stream": True}, timeout=60) as response:
            payloads = sse_payloads(response.iter_lines())
            next(payloads)
            _wait_for(lambda: engine.stats().num_running == 2, "both requests to run")
            running.server.should_exit = True
            rest = list(payloads)
        whole_thread.join(timeout=60)
    # the stream ends with one error event (no [DONE]); every chunk before it is whole JSON
    chunks = [json.loads(p) for p in rest]
    assert all("choices" in c for c in chunks[:-1])
    assert chunks[-1]["error"]["code"] == "request_aborted"
    assert set(chunks[-1]["error"]) == {"message", "type", "param", "code"}
    # the whole answer in flight gets a 503 in OpenAI's shape, not a dropped connection
    assert whole[0].status_code == 503 and whole[0].json()["error"]["code"] == "request_aborted"


# --- bounded queue --------------------------------------------------------------------------------------------


def test_full_queue_answers_429_and_recovers(model: LoadedModel) -> None:
    engine = AsyncEngine.from_model(model, max_num_seqs=1, max_waiting=1)
    with serving(ServerSettings("tiny"), engine) as running:
        url = running.base_url + "/v1/chat/completions"
        with httpx.stream("POST", url, json={**LONG, "stream": True}, timeout=60) as response:
            payloads = sse_payloads(response.iter_lines())
            next(payloads)  # the first request runs (the only sequence slot)
            queued_thread, queued = _in_background(lambda: httpx.post(url, json={**LONG, "max_tokens": 2},
                                                                      timeout=60))
            _wait_for(lambda: engine.stats().num_waiting == 1, "the second request to queue")
            with openai.OpenAI(api_key="none", base_url=running.base_url + "/v1", max_retries=0) as client:
                with pytest.raises(openai.RateLimitError) as exc:
                    client.chat.completions.create(model="tiny", messages=USER, max_tokens=2)  # type: ignore[arg-type]
            assert exc.value.status_code == 429 and exc.value.code == "engine_overloaded"
            assert list(payloads)[-1] == "[DONE]"
        queued_thread.join(timeout=60)
        assert queued[0].status_code == 200  # the queued request was served, not dropped
        again = httpx.post(url, json={**LONG, "max_tokens": 2}, timeout=60)
        assert again.status_code == 200  # room again once the queue drained


# --- compiling off the event loop -------------------------------------------------------------------------------


def test_compile_runs_off_the_event_loop_and_budget_is_a_400(model: LoadedModel,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """While a constraint compiles, the server keeps answering; a compile over budget is a 400 naming the field."""
    release = threading.Event()
    compiling = threading.Event()

    def slow_compile(pattern: str, vocab: Any, **kwargs: Any) -> Any:
        compiling.set()
        release.wait(timeout=30)  # blocks this thread until the test has been answered meanwhile
        raise constrained.BudgetExceeded("max_states", "regex needs more than 100000 DFA states")

    monkeypatch.setattr(constrained, "compile_regex", slow_compile)
    engine = AsyncEngine.from_model(model)
    with serving(ServerSettings("tiny"), engine) as running:
        body = {"model": "tiny", "messages": USER, "guided_regex": "(a|b)*a(a|b){30}"}
        thread, result = _in_background(lambda: httpx.post(running.base_url + "/v1/chat/completions", json=body,
                                                           timeout=60))
        try:
            assert compiling.wait(timeout=30)
            # a compile on the event loop would block this (the compile only ends once it is answered)
            other = httpx.post(running.base_url + "/v1/chat/completions", timeout=10,
                               json={"model": "tiny", "messages": USER, "max_tokens": 2})
            assert other.status_code == 200
        finally:
            release.set()
        thread.join(timeout=60)
    error = result[0].json()["error"]
    assert result[0].status_code == 400 and error["param"] == "guided_regex"
    assert error["code"] == "constraint_too_large" and "guided_regex" in error["message"]


def test_serve_reads_the_api_key_from_the_environment() -> None:
    from api.cli import API_KEY_ENV, api_key_from, build_parser

    def key(argv: list[str], env: dict[str, str]) -> str | None:
        return api_key_from(build_parser().parse_args(["serve", *argv]), env)

    assert key([], {}) is None
    assert key([], {API_KEY_ENV: "from-env"}) == "from-env"
    assert key(["--api-key", "flag"], {API_KEY_ENV: "from-env"}) == "flag"
    assert key([], {API_KEY_ENV: ""}) is None  # an empty variable does not lock everyone out

