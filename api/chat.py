"""``/v1/chat/completions``: request -> prompt, constraint and sampling params; engine outputs -> responses.

:func:`prepare_chat` does everything that can refuse a request before generation starts (so a refusal is a plain
HTTP error, never a broken stream); :func:`chat_completion` builds the non-streamed answer from the engine's final
``RequestOutput``. Streaming is in :mod:`api.streaming`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from api.constraints import compile_off_loop, request_constraint
from api.logprobs import TokenTexts, chat_logprob_content
from api.params import chat_logprobs, sampling_params
from api.prompts import Prompt, build_chat_prompt
from api.reasoning import prompt_opens_thinking, split_reasoning
from api.schemas import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChoice,
    ChatCompletionMessage,
    ChatCompletionRequest,
    ChoiceLogprobs,
    Usage,
    content_text,
)
from api.schemas.responses import ChatFinishReason
from api.tools import ToolMode, parse_auto_calls, parse_forced_calls, template_tools, tool_constraint, tool_mode
from engine.sampling_params import SamplingParams

SYSTEM_FINGERPRINT = "fp_constrained"


class RequestAborted(Exception):
    """The engine ended the request before it finished (server shutting down)."""


def new_response_id(prefix: str, client_id: str | None) -> str:
    """A response ``id``: ``prefix-`` + the client's ``request_id`` (as vLLM does) or a random hex."""
    return f"{prefix}-{client_id or uuid.uuid4().hex}"


def new_engine_id(response: str) -> str:
    """The engine's id for a request answered as ``response`` (unique even when clients reuse a ``request_id``)."""
    return f"{response}-{uuid.uuid4().hex[:8]}"


@dataclass
class ChatJob:
    """A validated chat request, ready for the engine.

    Attributes:
        request: the decoded request.
        prompt: prompt ids and the fitted new-token limit.
        params: the engine's sampling parameters (constraint compiled).
        mode: how tools shape and parse the output.
        model_name: the served model id echoed in responses.
        request_id: the response ``id``: ``chatcmpl-`` + the request's ``request_id`` (vLLM) or a random hex.
        created: Unix time of the request.
        reasoning_opened: the prompt ends inside ``<think>``.
        engine_id: the engine's id for the request (``request_id`` + a random suffix, so that two requests sending
            the same ``request_id`` never collide in the engine).
    """

    request: ChatCompletionRequest
    prompt: Prompt
    params: SamplingParams
    mode: ToolMode
    model_name: str
    request_id: str = ""
    created: int = field(default_factory=lambda: int(time.time()))
    reasoning_opened: bool = False
    engine_id: str = ""

    def __post_init__(self) -> None:
        self.request_id = self.request_id or new_response_id("chatcmpl", self.request.request_id)
        self.engine_id = self.engine_id or new_engine_id(self.request_id)

    @property
    def echo_prefix(self) -> str:
        """With ``echo`` (a vLLM chat extension): the final assistant message's text, to repeat before the answer."""
        last = self.request.messages[-1]
        if self.request.echo and isinstance(last, AssistantMessage):
            return content_text(last.content)
        return ""


async def prepare_chat(request: ChatCompletionRequest, engine: Any, model_name: str) -> ChatJob:
    """Render the prompt, compile the constraint (off the event loop) and map the sampling fields.

    Raises:
        RequestError: the template, the context length, the constraint or ``logit_bias`` refused the request.
    """
    model = engine.model
    mode = tool_mode(request)
    prompt = build_chat_prompt(request, model, engine.max_model_len, template_tools(request))
    spec = tool_constraint(request) or request_constraint(request)
    if mode.kind == "auto" and spec is not None:
        mode = ToolMode("none")  # the output must follow response_format / guided_*: never read it as a tool call
    constraint = await compile_off_loop(spec, model.vocab)
    params = sampling_params(request, max_tokens=prompt.max_tokens, logprobs=chat_logprobs(request),
                             constraint=constraint, vocab_size=model.vocab.size)
    opened = mode.kind == "none" and spec is None and prompt_opens_thinking(prompt.text)
    return ChatJob(request, prompt, params, mode, model_name, reasoning_opened=opened)


def finish_reason(reason: str | None) -> Literal["stop", "length"]:
    """The engine's finish reason in OpenAI's words.

    Raises:
        RequestAborted: the engine aborted the request.
    """
    if reason == "abort":
        raise RequestAborted("the engine ended the request before it finished (aborted, failed, or the server is "
                             "shutting down)")
    return "length" if reason == "length" else "stop"


def chat_message(job: ChatJob, text: str, reason: ChatFinishReason) -> tuple[ChatCompletionMessage, ChatFinishReason]:
    """The assistant message for one sample's complete text, and the finish reason (``tool_calls`` for calls)."""
    if job.mode.forced and reason == "stop":
        calls = parse_forced_calls(text, job.mode)
        if calls:
            return ChatCompletionMessage(content=None, refusal=None, tool_calls=calls), "tool_calls"
    if job.mode.kind == "auto":
        content, calls = parse_auto_calls(text, job.mode)
        if calls:
            return ChatCompletionMessage(content=content, refusal=None, tool_calls=calls), "tool_calls"
    reasoning = None
    if job.mode.kind == "none" and job.params.constraint is None:
        reasoning, text = split_reasoning(text, opened=job.reasoning_opened)
    message = ChatCompletionMessage(content=job.echo_prefix + text, refusal=None, reasoning_content=reasoning)
    return message, reason


def chat_completion(job: ChatJob, final: Any, texts: TokenTexts) -> ChatCompletion:
    """The whole chat completion for the engine's final ``RequestOutput``.

    Raises:
        RequestAborted: the engine aborted the request.
    """
    choices = []
    for out in final.outputs:
        message, reason = chat_message(job, out.text, finish_reason(out.finish_reason))
        logprobs = None
        if job.params.logprobs is not None:
            logprobs = ChoiceLogprobs(content=chat_logprob_content(out.logprobs or [], texts))
        choices.append(ChatCompletionChoice(index=out.index, message=message, logprobs=logprobs, finish_reason=reason))
    completion_tokens = sum(len(out.token_ids) for out in final.outputs)
    return ChatCompletion(id=job.request_id, created=job.created, model=job.model_name, choices=choices,
                          usage=Usage.of(len(job.prompt.token_ids), completion_tokens),
                          system_fingerprint=SYSTEM_FINGERPRINT)
