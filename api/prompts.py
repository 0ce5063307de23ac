"""Chat messages -> prompt token ids, with the model's chat template, and the token budget left for the answer.

Message contents are tokenized as plain text (``ChatTemplate.render_segments`` + ``tokenizer.encode_segments``):
a user typing ``<|im_end|>`` gets the characters, never the control token.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from api.schemas import AssistantMessage, ChatCompletionRequest, ChatMessage, RequestError, content_text
from engine.chat_template import ChatTemplate, TemplateError


@dataclass(frozen=True)
class Prompt:
    """A tokenized prompt and the number of new tokens the request may generate.

    Attributes:
        token_ids: the prompt as the model sees it.
        max_tokens: new-token limit after fitting the context (never below 1).
        text: the rendered prompt text (for reasoning detection and echo).
    """

    token_ids: list[int]
    max_tokens: int
    text: str


def message_dicts(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """Messages as the plain dicts chat templates read (text parts joined; tool-call arguments as objects).

    Templates index ``message['content']`` as a string, so a null content (assistant tool calls) becomes ``""``;
    templates such as Qwen's write ``tool_call.arguments | tojson``, so JSON arguments are parsed to objects.
    """
    out: list[dict[str, Any]] = []
    for message in messages:
        data: dict[str, Any] = msgspec.to_builtins(message)
        data["content"] = content_text(message.content)
        if isinstance(message, AssistantMessage) and message.tool_calls:
            data["tool_calls"] = [_template_tool_call(call) for call in data["tool_calls"]]
        out.append(data)
    return out


def _template_tool_call(call: dict[str, Any]) -> dict[str, Any]:
    function = dict(call["function"])
    try:
        function["arguments"] = json.loads(function["arguments"])
    except ValueError:
        pass  # not JSON: the template gets the text as sent
    return {**call, "function": function}


def chat_template_for(request: ChatCompletionRequest, model: Any) -> ChatTemplate:
    """The request's ``chat_template`` override, else the model's template.

    Raises:
        RequestError: neither exists (param ``chat_template``).
    """
    default: ChatTemplate | None = model.chat_template
    if request.chat_template is not None:
        bos = default.bos_token if default else model.tokenizer.token_string(model.tokenizer.bos_id)
        eos = default.eos_token if default else model.tokenizer.token_string(model.tokenizer.eos_id)
        return ChatTemplate(request.chat_template, bos_token=bos, eos_token=eos)
    if default is None:
        raise RequestError("this model has no chat template: send 'chat_template' or use /v1/completions",
                           "chat_template")
    return default


def chat_prompt_ids(
    request: ChatCompletionRequest, model: Any, tools: list[Mapping[str, Any]] | None
) -> tuple[list[int], str]:
    """Render and tokenize the conversation.

    Args:
        request: the validated request.
        model: the engine's loaded model (``tokenizer``, ``chat_template``).
        tools: tool definitions to show the template (None when ``tool_choice`` is ``none`` or no tools).

    Returns:
        ``(token_ids, prompt_text)``.

    Raises:
        RequestError: the template failed or a control-token spelling sits in a field that cannot be protected.
    """
    template = chat_template_for(request, model)
    tokenizer = model.tokenizer
    try:
        segments = template.render_segments(
            message_dicts(request.messages),
            control_tokens=tokenizer.control_tokens(),
            add_generation_prompt=request.wants_generation_prompt,
            continue_final_message=request.continue_final_message,
            tools=tools,
            documents=list(request.documents) if request.documents is not None else None,
            **(request.chat_template_kwargs or {}),
        )
    except TemplateError as exc:
        raise RequestError(f"the chat template could not render these messages: {exc}", "messages") from None
    text = "".join(seg.text for seg in segments)
    bos = template.bos_token
    # a template that writes BOS itself must not get a second one
    writes_bos = bool(bos) and text.startswith(bos or "")
    add_bos = False if writes_bos else (True if request.add_special_tokens else None)
    return tokenizer.encode_segments(segments, add_bos=add_bos), text


class ContextLengthExceeded(RequestError):
    """A 400 with OpenAI's ``context_length_exceeded`` code."""

    code = "context_length_exceeded"


def fit_context(prompt_len: int, requested: int | None, max_model_len: int, *, truncate: bool,
                param: str = "max_tokens") -> int:
    """The new-token limit for a prompt of ``prompt_len`` tokens.

    Args:
        prompt_len: prompt tokens.
        requested: the request's limit, or None for "what the context leaves".
        max_model_len: the model's context length.
        truncate: lower a limit that does not fit (``context_length_exceeded_behavior`` ``truncate``) instead of
            refusing it.
        param: the field named in errors.

    Raises:
        RequestError: the prompt fills the context, or the limit does not fit and ``truncate`` is False.
    """
    room = max_model_len - prompt_len
    if room < 1:
        raise ContextLengthExceeded(f"the prompt has {prompt_len} tokens, which leaves no room for an answer in this "
                                    f"model's context of {max_model_len} tokens", "messages")
    if requested is None:
        return room
    if requested > room and not truncate:
        raise ContextLengthExceeded(f"the prompt ({prompt_len} tokens) plus '{param}' ({requested}) exceed this "
                                    f"model's context of {max_model_len} tokens", param)
    return min(requested, room)


def build_chat_prompt(request: ChatCompletionRequest, model: Any, max_model_len: int,
                      tools: list[Mapping[str, Any]] | None) -> Prompt:
    """Render, tokenize and fit a chat request into the context (see :func:`chat_prompt_ids`, :func:`fit_context`)."""
    ids, text = chat_prompt_ids(request, model, tools)
    param = "max_completion_tokens" if request.max_completion_tokens is not None else "max_tokens"
    limit = fit_context(len(ids), request.max_new_tokens, max_model_len,
                        truncate=request.context_length_exceeded_behavior == "truncate", param=param)
    return Prompt(ids, limit, text)
