"""``AsyncEngine``: the ``LLMEngine`` step loop on one background thread, streamed to asyncio callers.

Callers never touch the engine directly: ``generate`` and ``abort`` post commands to a queue that the loop thread
drains before each step, so the engine itself needs no locks. Each request gets an ``asyncio.Queue`` fed with
``loop.call_soon_threadsafe``; its iterator ends at the final output, raises when the request failed, and aborts
the request (freeing its KV blocks) when the consumer stops early or is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from engine.config import EngineConfig
from engine.llm_engine import EngineStats, LLMEngine
from engine.loader import LoadedModel, load_model
from engine.outputs import RequestOutput
from engine.sampling_params import SamplingParams

logger = logging.getLogger(__name__)


class EngineOverloaded(RuntimeError):
    """Too many requests are waiting; retry later (the API answers 429)."""


class EngineDead(RuntimeError):
    """The engine was shut down."""


@dataclass
class _Stream:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[RequestOutput | BaseException]
    added: asyncio.Future[None]


class AsyncEngine:
    """Serve an ``LLMEngine`` to asyncio code.

    Args:
        engine: the synchronous engine (owned by the loop thread from now on).
    """

    def __init__(self, engine: LLMEngine) -> None:
        self.engine = engine
        self.model: LoadedModel = engine.loaded
        self.max_model_len = engine.max_model_len
        self._commands: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._streams: dict[str, _Stream] = {}
        self._lock = threading.Lock()  # guards _streams and _stopping between threads
        self._stopping = False
        self._stats = engine.stats()
        self._thread = threading.Thread(target=self._loop, name="engine-loop", daemon=True)
        self._thread.start()

    @classmethod
    def from_model(cls, model: str | LoadedModel, **engine_args: Any) -> AsyncEngine:
        """Load ``model`` (a name, a path or a ``LoadedModel``) and start the loop.

        ``engine_args`` are ``EngineConfig`` fields.
        """
        device = engine_args.pop("device", None)
        dtype = engine_args.pop("dtype", None)
        loaded = model if isinstance(model, LoadedModel) else load_model(model, device=device, dtype=dtype)
        return cls(LLMEngine(loaded, EngineConfig(**engine_args)))

    # --- public API ----------------------------------------------------------------------------------------------

    async def generate(
        self, request_id: str, prompt_token_ids: Sequence[int], params: SamplingParams, priority: int = 0
    ) -> AsyncIterator[RequestOutput]:
        """Stream a request's outputs (cumulative, with deltas) until it finishes.

        Raises:
            ValueError: bad settings or prompt, or a duplicate id (before the first item).
            EngineOverloaded: the waiting queue is full.
            EngineDead: the engine is shut down.
            RuntimeError: the request failed inside the engine.
        """
        loop = asyncio.get_running_loop()
        stream = _Stream(loop, asyncio.Queue(), loop.create_future())
        with self._lock:
            if self._stopping:
                raise EngineDead("the engine is shutting down")
            if request_id in self._streams:
                raise ValueError(f"request id {request_id!r} is already in use")
            waiting = len(self._streams) - self._stats.num_running  # queued here or in the scheduler
            if waiting >= self.engine.config.max_waiting:
                raise EngineOverloaded(f"{waiting} requests are already waiting; retry later")
            self._streams[request_id] = stream
        self._post("add", (request_id, list(prompt_token_ids), params, priority))
        finished = False
        try:
            await stream.added  # raises the engine's ValueError for bad input
            while True:
                item = await stream.queue.get()
                if isinstance(item, BaseException):
                    finished = True
                    raise item
                finished = item.finished
                yield item
                if finished:
                    return
        finally:
            if not finished:
                self._post("abort", request_id)
            else:
                with self._lock:
                    self._streams.pop(request_id, None)

    async def abort(self, request_id: str) -> None:
        """Abort a request; its stream ends with a ``"abort"`` output."""
        self._post("abort", request_id)

    def stats(self) -> EngineStats:
        """The latest snapshot (updated by the loop after every step)."""
        return self._stats

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Stop taking requests; let running ones finish for up to ``timeout`` seconds, then abort the rest."""
        with self._lock:
            self._stopping = True
        deadline = asyncio.get_running_loop().time() + timeout
        while self._thread.is_alive() and asyncio.get_running_loop().time() < deadline:
            with self._lock:
                if not self._streams:
                    break
            await asyncio.sleep(0.01)
        self._post("stop", None)
        await asyncio.to_thread(self._thread.join, timeout)

    # --- loop thread ---------------------------------------------------------------------------------------------

    def _post(self, kind: str, payload: Any) -> None:
        self._commands.put((kind, payload))
        self._wake.set()

    def _loop(self) -> None:
        engine = self.engine
        while True:
            if not engine.has_unfinished():
                self._wake.wait()
            self._wake.clear()
            if not self._drain_commands():
                break
            if not engine.has_unfinished():
                continue
            outputs = engine.step()
            errors = engine.pop_errors()
            self._stats = engine.stats()
            for out in outputs:
                why = errors.get(out.request_id)
                self._deliver(out.request_id, RuntimeError(why) if why and out.finished else out)
        for request_id in list(engine.requests):  # stop: abort whatever is left
            engine.abort(request_id)
        for out in engine.step():
            self._deliver(out.request_id, out)

    def _drain_commands(self) -> bool:
        """Apply queued commands; False on ``stop``."""
        while True:
            try:
                kind, payload = self._commands.get_nowait()
            except queue.Empty:
                return True
            if kind == "stop":
                return False
            if kind == "abort":
                self.engine.abort(payload)
                with self._lock:
                    stream = self._streams.pop(payload, None) if payload not in self.engine.requests else None
                if stream is not None:  # not in the engine (already done, or never added)
                    self._settle(stream, None)
                continue
            request_id, prompt, params, priority = payload
            with self._lock:
                stream = self._streams.get(request_id)
            if stream is None:
                continue
            try:
                self.engine.add_request(request_id, prompt, params, priority)
            except Exception as exc:  # bad input: reported to that caller only
                with self._lock:
                    self._streams.pop(request_id, None)
                self._settle(stream, exc)
            else:
                self._settle(stream, None)

    def _settle(self, stream: _Stream, exc: BaseException | None) -> None:
        def resolve() -> None:
            if not stream.added.done():
                if exc is None:
                    stream.added.set_result(None)
                else:
                    stream.added.set_exception(exc)

        with contextlib.suppress(RuntimeError):  # the caller's loop is closed: nobody is listening
            stream.loop.call_soon_threadsafe(resolve)

    def _deliver(self, request_id: str, item: RequestOutput | BaseException) -> None:
        with self._lock:
            stream = self._streams.get(request_id)
            finished = isinstance(item, BaseException) or item.finished
            if stream is not None and finished:
                self._streams.pop(request_id, None)
        if stream is None:
            return
        with contextlib.suppress(RuntimeError):
            stream.loop.call_soon_threadsafe(stream.queue.put_nowait, item)
