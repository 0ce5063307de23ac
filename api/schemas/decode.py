"""Decode request bodies into validated structs, turning every failure into one :class:`RequestError`.

``RequestError.param`` is the offending field in OpenAI's style (``messages[2].content[0].type``, ``top_logprobs``),
built from msgspec's error path (``$.messages[2]...``) plus, for cross-field checks, the field named by the
:class:`~api.schemas.errors.FieldError` raised in ``__post_init__``.
"""

from __future__ import annotations

import re
from typing import TypeVar

import msgspec

from api.schemas.chat_request import ChatCompletionRequest
from api.schemas.completion_request import CompletionRequest
from api.schemas.errors import FieldError, RequestError
from api.schemas.messages import MESSAGE_ROLES
from api.schemas.response_format import RESPONSE_FORMAT_TYPES

T = TypeVar("T")

_chat_decoder = msgspec.json.Decoder(ChatCompletionRequest)
_completion_decoder = msgspec.json.Decoder(CompletionRequest)

_AT = re.compile(r"^(?P<detail>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]+)`$")
_INVALID_TAG = re.compile(r"^Invalid value '(?P<value>.*)'$", re.DOTALL)

# tag fields -> what is accepted, so an unsupported tag is refused with the alternatives
_TAG_CHOICES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^messages\[\d+\]\.role$"), "the role must be one of " + ", ".join(MESSAGE_ROLES)),
    (re.compile(r"(^|\.)response_format\.type$"), "the type must be one of " + ", ".join(RESPONSE_FORMAT_TYPES)),
    (re.compile(r"\.content\[\d+\]\.type$"), "this text-only server accepts 'text' content parts"),
    (re.compile(r"^tools\[\d+\]\.type$"), "only 'function' tools are supported"),
    (re.compile(r"^tool_choice\.type$"), "send 'none', 'auto', 'required' or {'type': 'function', ...}"),
    (re.compile(r"^prediction\.type$"), "the type must be 'content'"),
]


def decode_chat_request(body: bytes | str) -> ChatCompletionRequest:
    """Decode and validate a ``/v1/chat/completions`` body.

    Args:
        body: The raw JSON request body.

    Returns:
        The validated request.

    Raises:
        RequestError: The body is not JSON, a field has the wrong type or range, or fields conflict; ``param``
            names the field.
    """
    return _decode(_chat_decoder, body)


def decode_completion_request(body: bytes | str) -> CompletionRequest:
    """Decode and validate a ``/v1/completions`` body.

    Args:
        body: The raw JSON request body.

    Returns:
        The validated request.

    Raises:
        RequestError: As for :func:`decode_chat_request`.
    """
    return _decode(_completion_decoder, body)


def _decode(decoder: msgspec.json.Decoder[T], body: bytes | str) -> T:
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise _from_validation_error(exc) from None
    except msgspec.DecodeError as exc:
        raise RequestError(f"The request body is not valid JSON: {exc}", None) from None


def _join(path: str, field: str) -> str | None:
    """``.messages[2]`` + ``content`` -> ``messages[2].content``; ``[...]`` (a dict key) ends the path."""
    path = path.split("[...]", 1)[0].lstrip(".")
    joined = ".".join(p for p in (path, field) if p)
    return joined or None


def _from_validation_error(exc: msgspec.ValidationError) -> RequestError:
    match = _AT.match(str(exc))
    detail, path = (match["detail"], match["path"] or "") if match else (str(exc), "")
    cause = exc.__cause__
    if isinstance(cause, FieldError):
        return RequestError(cause.message, _join(path, cause.field))
    missing = _MISSING.match(detail)
    if missing:
        param = _join(path, missing["field"])
        return RequestError(f"Missing required parameter: '{param}'", param)
    param = _join(path, "")
    if param is None:
        return RequestError(f"The request body must be a JSON object: {detail}", None)
    invalid = _INVALID_TAG.match(detail)
    if invalid:
        hint = next((text for pattern, text in _TAG_CHOICES if pattern.search(param)), "")
        return RequestError(f"Unsupported value '{invalid['value']}' for '{param}'" + (f": {hint}" if hint else ""),
                            param)
    return RequestError(f"Invalid value for '{param}': {detail}", param)
