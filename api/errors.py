"""OpenAI-shaped error bodies: ``{"error": {"message", "type", "param", "code"}}``."""

from __future__ import annotations

from litestar import Response

from api.schemas.errors import RequestError

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    500: "internal_error",
    503: "service_unavailable",
}


def error_response(status: int, message: str, param: str | None = None, code: str | None = None) -> Response[dict]:
    """A JSON error response in the shape the OpenAI SDK parses."""
    body = {
        "error": {
            "message": message,
            "type": ERROR_TYPES.get(status, "invalid_request_error"),
            "param": param,
            "code": code,
        }
    }
    return Response(content=body, status_code=status)


def request_error_response(exc: RequestError) -> Response[dict]:
    """The 400 answer for a request the schemas refused, with ``param`` naming the offending field."""
    return error_response(400, exc.message, param=exc.param)
