"""``POST /tokenize`` and ``POST /detokenize`` (vLLM's utility endpoints).

``/tokenize`` takes ``{"prompt": text}`` (tokenized like a ``/v1/completions`` prompt) or ``{"messages": [...]}``
(rendered with the chat template like a chat request) and answers ``{"count", "max_model_len", "tokens"}``;
``/detokenize`` takes ``{"tokens": [ids]}`` and answers ``{"prompt": text}``.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from api.prompts import chat_prompt_ids
from api.schemas import ChatCompletionRequest, ChatMessage, RequestError
from api.schemas.decode import _from_validation_error


class TokenizeRequest(msgspec.Struct, kw_only=True):
    """Either ``prompt`` or ``messages``."""

    model: str | None = None
    prompt: str | None = None
    messages: list[ChatMessage] | None = None
    add_special_tokens: bool = True
    add_generation_prompt: bool = True
    continue_final_message: bool = False
    chat_template: str | None = None
    chat_template_kwargs: dict[str, Any] | None = None


class DetokenizeRequest(msgspec.Struct, kw_only=True):
    """Token ids to turn back into text."""

    tokens: list[Annotated[int, msgspec.Meta(ge=0)]]
    model: str | None = None


def _decode(body: bytes, kind: type[Any]) -> Any:
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as exc:
        raise _from_validation_error(exc) from None
    except msgspec.DecodeError as exc:
        raise RequestError(f"The request body is not valid JSON: {exc}", None) from None


def tokenize(body: bytes, engine: Any) -> tuple[str | None, dict[str, Any]]:
    """Answer a ``/tokenize`` body; returns ``(model field, answer)``.

    Raises:
        RequestError: a malformed body, both or neither of ``prompt``/``messages``, or a template failure.
    """
    req: TokenizeRequest = _decode(body, TokenizeRequest)
    if (req.prompt is None) == (req.messages is None):
        raise RequestError("send exactly one of 'prompt' and 'messages'", "prompt")
    tokenizer = engine.model.tokenizer
    if req.prompt is not None:
        ids = tokenizer.encode(req.prompt, allow_special=True, add_bos=None if req.add_special_tokens else False)
    else:
        try:
            chat = ChatCompletionRequest(messages=req.messages or [], add_generation_prompt=req.add_generation_prompt
                                         and not req.continue_final_message,
                                         continue_final_message=req.continue_final_message,
                                         chat_template=req.chat_template, chat_template_kwargs=req.chat_template_kwargs)
        except ValueError as exc:
            raise RequestError(str(exc), getattr(exc, "field", None)) from None
        ids, _ = chat_prompt_ids(chat, engine.model, None)
    return req.model, {"count": len(ids), "max_model_len": engine.max_model_len, "tokens": ids}


def detokenize(body: bytes, engine: Any) -> tuple[str | None, dict[str, Any]]:
    """Answer a ``/detokenize`` body; returns ``(model field, answer)``.

    Raises:
        RequestError: a malformed body or an id outside the vocabulary.
    """
    req: DetokenizeRequest = _decode(body, DetokenizeRequest)
    tokenizer = engine.model.tokenizer
    bad = next((t for t in req.tokens if t >= tokenizer.vocab_size), None)
    if bad is not None:
        raise RequestError(f"token id {bad} is outside this model's vocabulary of {tokenizer.vocab_size} ids",
                           "tokens")
    return req.model, {"prompt": tokenizer.decode(req.tokens)}
