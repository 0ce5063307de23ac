"""Running one request on the engine from an HTTP handler: first output, collecting, aborting, disconnects.

:func:`start` waits for the engine's first output *before* the HTTP response begins, so that the engine's own
refusals (bad input: 400; queue full: 429) become plain HTTP errors instead of a broken stream. Every path that
leaves early (client gone, error, shutdown) aborts the request so its KV blocks are freed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from api.schemas import RequestError
from engine.async_engine import EngineDead, EngineOverloaded

T = TypeVar("T")


class EngineBusy(Exception):
    """The engine's queue is full (HTTP 429)."""


class EngineGone(Exception):
    """The engine is shutting down and takes no new requests (HTTP 503)."""


@dataclass
class Run:
    """A started engine request: its first output and the iterator of the rest."""

    engine: Any
    request_id: str
    first: Any
    rest: AsyncIterator[Any]
    last: Any = None

    async def outputs(self) -> AsyncIterator[Any]:
        """Every output, the first included; aborts the request if the consumer stops early."""
        finished = self.first.finished
        self.last = self.first
        try:
            yield self.first
            async for out in self.rest:
                finished, self.last = out.finished, out
                yield out
        finally:
            if not finished:
                await self.abort()

    async def final(self) -> Any:
        """The last output (the complete result)."""
        last = self.first
        async for out in self.outputs():
            last = out
        return last

    async def abort(self) -> None:
        """Stop the request in the engine (idempotent; survives the caller being cancelled)."""
        closing = self.rest.aclose() if hasattr(self.rest, "aclose") else None
        await asyncio.shield(_quietly(self.engine.abort(self.request_id)))
        if closing is not None:
            await _quietly(closing)


async def _quietly(awaitable: Awaitable[Any]) -> None:
    try:
        await awaitable
    except Exception:  # noqa: BLE001 - cleanup after the request already failed or ended
        pass


async def start(engine: Any, request_id: str, prompt_ids: list[int], params: Any, priority: int = 0) -> Run:
    """Submit a request and wait for its first output (``priority``: lower is served first, as in vLLM).

    Raises:
        RequestError: the engine refused the input (``ValueError``).
        EngineBusy: the engine's queue is full.
        EngineGone: the engine is shutting down.
    """
    stream: Any = None
    try:
        stream = engine.generate(request_id, prompt_ids, params, priority=priority)  # may refuse now or at first output
        first = await stream.__anext__()
    except EngineOverloaded as exc:
        await _close(stream)
        raise EngineBusy(str(exc) or "the server is busy") from None
    except EngineDead as exc:
        await _close(stream)
        raise EngineGone(str(exc)) from None
    except ValueError as exc:
        await _close(stream)
        raise RequestError(str(exc), None) from None
    except BaseException:
        await _quietly(engine.abort(request_id))
        raise
    return Run(engine, request_id, first, stream)


async def _close(stream: Any) -> None:
    if stream is not None and hasattr(stream, "aclose"):
        await _quietly(stream.aclose())


async def until_disconnect(receive: Callable[[], Awaitable[Any]]) -> None:
    """Return when the client disconnects (the body is already read, so only ``http.disconnect`` arrives)."""
    while (await receive()).get("type") != "http.disconnect":
        pass


async def unless_disconnected(work: Awaitable[T], receive: Callable[[], Awaitable[Any]]) -> T | None:
    """Await ``work``; cancel it and return None if the client disconnects first (the runs abort themselves)."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(until_disconnect(receive))
    try:
        done, _ = await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            return task.result()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return None
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def merge(streams: list[AsyncIterator[T]]) -> AsyncIterator[tuple[int, T]]:
    """Interleave several async iterators as their items arrive, tagging each item with its stream's index."""
    queue: asyncio.Queue[tuple[int, Any, BaseException | None, bool]] = asyncio.Queue()

    async def pump(i: int, stream: AsyncIterator[T]) -> None:
        try:
            async for item in stream:
                await queue.put((i, item, None, False))
            await queue.put((i, None, None, True))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            await queue.put((i, None, exc, True))

    tasks = [asyncio.ensure_future(pump(i, s)) for i, s in enumerate(streams)]
    try:
        remaining = len(tasks)
        while remaining:
            i, item, error, done = await queue.get()
            if error is not None:
                raise error
            if done:
                remaining -= 1
                continue
            yield i, item
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
