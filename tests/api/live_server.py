"""A real server on loopback for the live tests: the app under :class:`api.serving.GracefulServer` in a thread."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from api.app import ServerSettings, create_app
from api.serving import GracefulServer, server_config


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    """A started server: its base URL and the uvicorn server (set ``should_exit`` to begin the shutdown)."""

    base_url: str
    server: GracefulServer
    thread: threading.Thread


@contextmanager
def serving(settings: ServerSettings, engine: Any, grace_s: float = 30.0) -> Iterator[Running]:
    """Serve ``engine`` with ``settings`` until the block ends (then shut down and wait for the thread)."""
    port = free_port()
    config = server_config(create_app(settings, engine), host="127.0.0.1", port=port, log_level="warning",
                           grace_s=grace_s)
    server = GracefulServer(config, engine, grace_s=grace_s)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield Running(f"http://127.0.0.1:{port}", server, thread)
    finally:
        server.should_exit = True
        thread.join(timeout=60)


def sse_payloads(lines: Iterator[str]) -> Iterator[str]:
    """The ``data:`` payloads of an SSE body, as they arrive."""
    for line in lines:
        if line.startswith("data: "):
            yield line[len("data: "):]


def sse_events(response: httpx.Response) -> list[Any]:
    """The JSON payloads of a whole SSE body, with the final ``[DONE]`` checked and dropped."""
    payloads = list(sse_payloads(iter(response.text.splitlines())))
    assert payloads[-1] == "[DONE]", payloads[-1]
    return [json.loads(p) for p in payloads[:-1]]
