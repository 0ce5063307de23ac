"""Request errors with a field path, and the OpenAI error body.

Two exception types with two audiences:

- :class:`FieldError` is raised *inside* ``__post_init__`` cross-field checks. msgspec wraps it in a
  ``ValidationError`` whose path points at the struct being built (``$.messages[2]``); the ``field`` it carries
  is relative to that struct (``content[0].type``), so the decoder can join the two into one field path.
- :class:`RequestError` is what the decoders raise to the HTTP layer: one message and the offending field path
  (``"messages[2].content[0].type"``, ``"top_logprobs"``, or ``None`` for a body that is not JSON), ready for
  ``api.errors.error_response(400, exc.message, param=exc.param)``.
"""

from __future__ import annotations

import msgspec


class FieldError(ValueError):
    """A cross-field check failed; ``field`` is the path relative to the struct that raised it.

    Args:
        field: Path of the offending field relative to the struct, e.g. ``"top_logprobs"`` or
            ``"content[0].type"``.
        message: What is wrong and what to send instead.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class RequestError(Exception):
    """A request body the server refuses (HTTP 400): ``param`` names the offending field.

    Args:
        message: Human-readable reason, naming the field and what to do.
        param: Field path in OpenAI's ``param`` style (``"messages[2].content"``), or ``None`` when the body as a
            whole is wrong (not JSON, not an object).
    """

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class ErrorBody(msgspec.Struct, kw_only=True):
    """The inner object of an OpenAI error: all four keys are always sent (``param``/``code`` may be null)."""

    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(msgspec.Struct, kw_only=True):
    """``{"error": {...}}``, the body of every non-2xx answer."""

    error: ErrorBody

    @classmethod
    def from_request_error(cls, exc: RequestError) -> ErrorResponse:
        """The 400 body for a refused request."""
        return cls(error=ErrorBody(message=exc.message, type="invalid_request_error", param=exc.param, code=None))
