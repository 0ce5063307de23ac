"""The Litestar application: routes, API-key check, error shape, metrics, shutdown.

Every generation handler follows one path: decode and validate the body (400 naming the field), check the model
name (404), prepare the engine request (template, context fit, constraint compiled off the loop), start it and
wait for the first output (429 when the engine queue is full), then answer whole or as a stream. Every error is
``{"error": {"message", "type", "param", "code"}}``. Without an engine (``engine=None``) the generation routes
answer 503.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litestar import Litestar, MediaType, Request, Response, Router, get, post
from litestar.exceptions import HTTPException
from litestar.response import Stream

from api.chat import RequestAborted, chat_completion, prepare_chat
from api.completions import completion_response, prepare_completion
from api.errors import error_response
from api.logprobs import TokenTexts
from api.metrics import Metrics
from api.runner import EngineBusy, EngineGone, Run, start, unless_disconnected
from api.schemas import RequestError, decode_chat_request, decode_completion_request, encode_response
from api.streaming import chat_events, completion_events
from api.tokenize import detokenize, tokenize

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
SHUTDOWN_TIMEOUT_S = 30.0
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"  # the exposition format's own content type


@dataclass(frozen=True)
class ServerSettings:
    """What the HTTP layer needs to know; built by the CLI from its flags."""

    model_name: str
    model_path: Path | None = None
    api_key: str | None = None
    created: int = field(default_factory=lambda: int(time.time()))
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES


def _bearer_matches(request: Request, key: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    # compare_digest: the time taken must not reveal how much of the key matched
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), key.encode())


def _json(content: bytes, status: int = 200) -> Response[bytes]:
    return Response(content=content, status_code=status, media_type=MediaType.JSON)


def _sse(events: Any) -> Stream:
    return Stream(events, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def _refusal(exc: Exception) -> Response[dict]:
    """The HTTP error for an exception raised before an answer began."""
    if isinstance(exc, RequestError):
        return error_response(400, exc.message, param=exc.param, code=getattr(exc, "code", None))
    if isinstance(exc, EngineBusy):
        return error_response(429, f"the server is at capacity, retry later: {exc}", code="engine_overloaded")
    if isinstance(exc, RequestAborted | EngineGone):
        return error_response(503, str(exc), code="request_aborted")
    logger.exception("request failed", exc_info=exc)
    return error_response(500, f"internal error: {type(exc).__name__}: {exc}", code="internal_error")


class Handlers:
    """The generation endpoints, bound to one engine and its metrics."""

    def __init__(self, settings: ServerSettings, engine: Any, metrics: Metrics) -> None:
        self.settings = settings
        self.engine = engine
        self.metrics = metrics
        self.texts = TokenTexts(engine.model) if engine is not None else None

    def check_model(self, name: str | None) -> None:
        """Refuse a request for another model (404, as OpenAI does)."""
        if name is not None and name != self.settings.model_name:
            raise ModelNotFound(name, self.settings.model_name)

    async def guarded(self, endpoint: str, work: Callable[[], Awaitable[Response[Any] | Stream]]) -> Any:
        """Run ``work``; turn refusals into OpenAI errors and count the request."""
        began = time.perf_counter()
        if self.engine is None:
            answer: Any = error_response(503, "no model is loaded in this server: start it with "
                                         "'constrained serve --model ...'", code="engine_unavailable")
        else:
            try:
                answer = await work()
            except ModelNotFound as exc:
                answer = error_response(404, str(exc), param="model", code="model_not_found")
            except HTTPException as exc:  # raised by Litestar itself, e.g. 413 while reading the body
                answer = _http_error(exc)
            except Exception as exc:  # noqa: BLE001 - every failure becomes an OpenAI-shaped error
                answer = _refusal(exc)
        self.metrics.observe_request(endpoint, answer.status_code or 200, time.perf_counter() - began)
        return answer

    async def chat(self, request: Request) -> Any:
        """``POST /v1/chat/completions``."""
        req = decode_chat_request(await request.body())
        self.check_model(req.model)
        job = await prepare_chat(req, self.engine, self.settings.model_name)
        run = await start(self.engine, job.engine_id, job.prompt.token_ids, job.params, req.priority)
        assert self.texts is not None
        if req.stream:
            return _sse(self._counted(chat_events(job, run, self.texts), len(job.prompt.token_ids), [run]))
        final = await unless_disconnected(run.final(), request.receive)
        if final is None:
            return error_response(499, "client disconnected", code="client_disconnected")
        self.metrics.add_tokens(len(job.prompt.token_ids), sum(len(o.token_ids) for o in final.outputs))
        return _json(encode_response(chat_completion(job, final, self.texts)))

    async def completions(self, request: Request) -> Any:
        """``POST /v1/completions``."""
        req = decode_completion_request(await request.body())
        self.check_model(req.model)
        job = await prepare_completion(req, self.engine, self.settings.model_name)
        runs = await self._start_all(job)
        assert self.texts is not None
        prompt_tokens = sum(len(p) for p in job.prompts)
        if req.stream:
            return _sse(self._counted(completion_events(job, runs, self.texts), prompt_tokens, runs))

        async def collect() -> list[Any]:
            return [None if run is None else await run.final() for run in runs]

        finals = await unless_disconnected(collect(), request.receive)
        if finals is None:
            for run in runs:
                if run is not None:
                    await run.abort()
            return error_response(499, "client disconnected", code="client_disconnected")
        self.metrics.add_tokens(prompt_tokens, sum(len(o.token_ids) for f in finals if f for o in f.outputs))
        return _json(encode_response(completion_response(job, finals, self.texts)))

    async def _start_all(self, job: Any) -> list[Run | None]:
        """Start every prompt of a completion together; if one is refused, abort the others and re-raise."""

        async def one(i: int, ids: list[int], params: Any) -> Run | None:
            if params is None:
                return None
            return await start(self.engine, f"{job.engine_id}-{i}", ids, params, job.request.priority)

        results = await asyncio.gather(*(one(i, ids, params) for i, (ids, params)
                                         in enumerate(zip(job.prompts, job.params, strict=True))),
                                       return_exceptions=True)
        failure = next((r for r in results if isinstance(r, BaseException)), None)
        if failure is not None:
            for run in results:
                if isinstance(run, Run):
                    await run.abort()
            raise failure
        return [r if isinstance(r, Run) else None for r in results]

    async def _counted(self, events: Any, prompt_tokens: int, runs: list[Run | None]) -> Any:
        """Pass ``events`` through; count tokens at the end and abort the runs if the stream stops early."""
        try:
            async for event in events:
                yield event
        finally:
            for run in runs:
                if run is not None:
                    await run.abort()
            finals = [run.last or run.first for run in runs if run is not None]
            generated = sum(len(o.token_ids) for final in finals for o in final.outputs)
            self.metrics.add_tokens(prompt_tokens, generated)


class ModelNotFound(Exception):
    """The request names a model this server does not serve."""

    def __init__(self, requested: str, served: str) -> None:
        super().__init__(f"The model '{requested}' does not exist on this server; it serves '{served}'")


def _http_exception(request: Request, exc: HTTPException) -> Response[dict]:
    return _http_error(exc)


def _http_error(exc: HTTPException) -> Response[dict]:
    """Litestar's own refusals (404 route, 405, 413 body too large) in OpenAI's error shape."""
    status = exc.status_code
    code = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}.get(status)
    message = str(exc.detail) if exc.detail else "request refused"
    if status == 413:
        message = "the request body is larger than this server accepts"
    return error_response(status, message, code=code)


def _internal_error(request: Request, exc: Exception) -> Response[dict]:
    logger.exception("unhandled error", exc_info=exc)
    return error_response(500, f"internal error: {type(exc).__name__}", code="internal_error")


def create_app(settings: ServerSettings, engine: Any = None) -> Litestar:
    """Build the ASGI app for ``settings``, serving ``engine`` (an ``engine.async_engine.AsyncEngine``).

    The app owns the engine's shutdown: Litestar's ``on_shutdown`` lets running requests finish (up to
    ``SHUTDOWN_TIMEOUT_S``) and then stops the engine.
    """
    metrics = Metrics()
    handlers = Handlers(settings, engine, metrics)

    async def require_key(request: Request) -> Response[dict] | None:
        if settings.api_key is None or _bearer_matches(request, settings.api_key):
            return None
        return error_response(401, "missing or wrong API key: send 'Authorization: Bearer <key>'",
                              code="invalid_api_key")

    @get("/health", sync_to_thread=False)
    def health() -> dict:
        return {"status": "ok" if engine is not None else "no_engine", "model": settings.model_name}

    @get("/metrics", sync_to_thread=False, media_type=PROMETHEUS_TEXT)
    def prometheus() -> str:
        stats = engine.stats() if engine is not None else None
        if dataclasses.is_dataclass(stats) and not isinstance(stats, type):
            stats = dataclasses.asdict(stats)
        return metrics.render(stats if isinstance(stats, dict) else None)

    @get("/models", sync_to_thread=False)
    def models() -> dict:
        card = {"id": settings.model_name, "object": "model", "created": settings.created, "owned_by": "constrained"}
        if engine is not None:
            card["max_model_len"] = engine.max_model_len
        return {"object": "list", "data": [card]}

    @post("/chat/completions", status_code=200)
    async def chat(request: Request) -> Any:
        return await handlers.guarded("chat", lambda: handlers.chat(request))

    @post("/completions", status_code=200)
    async def completions(request: Request) -> Any:
        return await handlers.guarded("completions", lambda: handlers.completions(request))

    def utility(answer: Callable[[bytes, Any], tuple[str | None, dict]]) -> Callable[[Request], Awaitable[Any]]:
        async def run(request: Request) -> Any:
            async def work() -> Response[Any]:
                model, body = answer(await request.body(), engine)
                handlers.check_model(model)
                return Response(content=body)
            return await handlers.guarded(answer.__name__, work)
        return run

    tokenize_route = post("/tokenize", name="tokenize", status_code=200)(utility(tokenize))
    detokenize_route = post("/detokenize", name="detokenize", status_code=200)(utility(detokenize))

    async def stop_engine() -> None:
        if engine is not None:
            await engine.shutdown(SHUTDOWN_TIMEOUT_S)

    v1 = Router(path="/v1", route_handlers=[models, chat, completions], before_request=require_key)
    tools = Router(path="/", route_handlers=[tokenize_route, detokenize_route], before_request=require_key)
    return Litestar(
        route_handlers=[health, prometheus, v1, tools],
        exception_handlers={HTTPException: _http_exception, Exception: _internal_error},
        request_max_body_size=settings.max_body_bytes,
        on_shutdown=[stop_engine],
        debug=False,
    )
