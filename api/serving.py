"""Running the app under uvicorn, with a shutdown that ends every running request cleanly.

On Ctrl-C or SIGTERM uvicorn stops accepting connections and waits for the running responses; left alone it would
cut a stream that is still running when its grace period ends in the middle of the body. :class:`GracefulServer`
drains the engine at the same moment instead: the engine takes no new requests (503), lets the running ones finish
for ``grace_s`` seconds, then aborts the rest. An aborted stream then ends with an error event (code
``request_aborted``) and an aborted whole answer with a 503, so every client gets a complete HTTP response.
uvicorn's own grace period is a few seconds longer and only matters if something hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Any

import uvicorn

logger = logging.getLogger(__name__)

DEFAULT_GRACE_S = 30.0
BACKSTOP_S = 5.0  # extra seconds uvicorn waits after the engine's grace before it cancels what is left


class GracefulServer(uvicorn.Server):
    """A uvicorn server that drains ``engine`` (an ``AsyncEngine``, or None) when it shuts down.

    Args:
        config: the uvicorn config; its ``timeout_graceful_shutdown`` should exceed ``grace_s``
            (:func:`server_config` does that).
        engine: the engine to drain.
        grace_s: seconds running requests may take to finish once shutdown begins.
    """

    def __init__(self, config: uvicorn.Config, engine: Any, grace_s: float = DEFAULT_GRACE_S) -> None:
        super().__init__(config)
        self.engine = engine
        self.grace_s = grace_s

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop accepting, drain the engine and wait for the running responses, then run the app's shutdown."""
        drain = None
        if self.engine is not None:
            logger.info("shutting down: running requests have %.0f s to finish", self.grace_s)
            drain = asyncio.ensure_future(self.engine.shutdown(self.grace_s))
        try:
            await super().shutdown(sockets)
        finally:
            if drain is not None:
                with contextlib.suppress(Exception):  # the app's on_shutdown stops the engine again anyway
                    await drain


def server_config(app: Any, *, host: str, port: int, log_level: str = "info",
                  grace_s: float = DEFAULT_GRACE_S) -> uvicorn.Config:
    """The uvicorn config for ``app``, with uvicorn's grace period set behind the engine's."""
    return uvicorn.Config(app, host=host, port=port, log_level=log_level,
                          timeout_graceful_shutdown=int(grace_s + BACKSTOP_S))
