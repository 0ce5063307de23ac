"""The Litestar application: routes, API-key check, error shape.

The decode engine is not wired in yet (issues #5 and #6): the server answers ``/health`` and ``/v1/models`` for
the resolved model, and the generation endpoints answer 503 in OpenAI's error shape instead of hanging.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, field
from pathlib import Path

from litestar import Litestar, Request, Response, Router, get, post

from api.errors import error_response


@dataclass(frozen=True)
class ServerSettings:
    """What the HTTP layer needs to know; built by the CLI from its flags."""

    model_name: str
    model_path: Path | None = None
    api_key: str | None = None
    created: int = field(default_factory=lambda: int(time.time()))


def _bearer_matches(request: Request, key: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    # compare_digest: the time taken must not reveal how much of the key matched
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), key.encode())


def create_app(settings: ServerSettings) -> Litestar:
    """Build the ASGI app for ``settings``."""

    async def require_key(request: Request) -> Response[dict] | None:
        if settings.api_key is None or _bearer_matches(request, settings.api_key):
            return None
        return error_response(401, "missing or wrong API key: send 'Authorization: Bearer <key>'",
                              code="invalid_api_key")

    @get("/health", sync_to_thread=False)
    def health() -> dict:
        return {"status": "ok", "model": settings.model_name}

    @get("/models", sync_to_thread=False)
    def models() -> dict:
        card = {"id": settings.model_name, "object": "model", "created": settings.created, "owned_by": "constrained"}
        return {"object": "list", "data": [card]}

    @post(["/chat/completions", "/completions"], sync_to_thread=False)
    def not_ready(request: Request) -> Response[dict]:
        return error_response(503, "the decode engine is not built yet in this version; only /health and "
                              "/v1/models answer", code="engine_unavailable")

    v1 = Router(path="/v1", route_handlers=[models, not_ready], before_request=require_key)
    return Litestar(route_handlers=[health, v1], debug=False)
