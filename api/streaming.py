"""Server-sent events for streamed chat and text completions, in the order the OpenAI SDK expects.

Chat: one role chunk per choice, then content (or reasoning / tool-call) deltas, a last chunk per choice with its
``finish_reason``, an empty-``choices`` usage chunk when ``stream_options.include_usage``, then ``data: [DONE]``.
An error after the stream began is sent as one ``{"error": {...}}`` event and the stream ends there.

Tool calls: a named ``tool_choice`` streams the arguments as they are generated (the call's id and name first);
``required`` output is a JSON call object or array, sent as whole calls when the choice ends; ``auto`` output
that starts like a call (``<tool_call>``, ``{`` or ``[``) is held back and parsed at the end, other output
streams as content.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from api.chat import SYSTEM_FINGERPRINT, ChatJob, RequestAborted, finish_reason
from api.completions import CompletionJob
from api.logprobs import TokenTexts, chat_logprob_content, completion_logprobs
from api.reasoning import ReasoningSplitter
from api.runner import Run, merge
from api.schemas import (
    ChatCompletionChunk,
    ChatCompletionChunkChoice,
    ChatCompletionDelta,
    ChoiceLogprobs,
    Completion,
    CompletionChoice,
    ErrorBody,
    ErrorResponse,
    FunctionCallDelta,
    ToolCallDelta,
    Usage,
    encode_response,
)
from api.schemas.responses import ChatFinishReason
from api.tools import TOOL_CALL_OPEN, new_call_id, parse_auto_calls, parse_forced_calls

logger = logging.getLogger(__name__)

DONE = b"data: [DONE]\n\n"


def sse(payload: bytes) -> bytes:
    """One server-sent event carrying ``payload``."""
    return b"data: " + payload + b"\n\n"


def error_event(exc: BaseException) -> bytes:
    """The event that reports an error after streaming began (the status line already said 200).

    An abort (the server is shutting down) is ``service_unavailable`` / ``request_aborted``, as the same failure
    before streaming would be a 503; anything else is an ``internal_error``.
    """
    if isinstance(exc, RequestAborted):
        kind, code = "service_unavailable", "request_aborted"
    else:
        kind, code = "internal_error", "internal_error"
    body = ErrorBody(message=str(exc) or type(exc).__name__, type=kind, param=None, code=code)
    return sse(encode_response(ErrorResponse(error=body)))


def _log_stream_failure(kind: str, request_id: str, exc: BaseException) -> None:
    if isinstance(exc, RequestAborted):  # shutting down: expected, no traceback
        logger.info("%s stream %s ended early: %s", kind, request_id, exc)
    else:
        logger.exception("%s stream %s failed", kind, request_id, exc_info=exc)


class ChatChoiceStream:
    """Turns one sample's engine deltas into chunk deltas, according to the job's tool mode."""

    def __init__(self, job: ChatJob) -> None:
        self.job = job
        self.mode = job.mode
        plain = self.mode.kind == "none" and job.params.constraint is None
        self.splitter = ReasoningSplitter(opened=job.reasoning_opened) if plain else None
        self.held = ""  # text held back until the end (tool calls)
        self.holding = self.mode.kind in ("required", "required_parallel")
        self.undecided = self.mode.kind == "auto"
        self.call_id: str | None = None

    def delta(self, text: str) -> list[ChatCompletionDelta]:
        """Deltas for new text (possibly none while text is held back)."""
        if not text:
            return []
        if self.mode.kind == "named":
            return [self._argument_delta(text)]
        if self.undecided:
            self.held += text
            head = self.held.lstrip()
            if not head:
                return []
            if head.startswith(("{", "[", TOOL_CALL_OPEN)) or TOOL_CALL_OPEN.startswith(head):
                self.holding = head.startswith(("{", "[", TOOL_CALL_OPEN))
                self.undecided = not self.holding
                return []
            self.undecided, text, self.held = False, self.held, ""
        if self.holding:
            self.held += text
            return []
        return self._content(text)

    def _content(self, text: str) -> list[ChatCompletionDelta]:
        if self.splitter is None:
            return [ChatCompletionDelta(content=text)]
        reasoning, content = self.splitter.feed(text)
        return _text_deltas(reasoning, content)

    def _argument_delta(self, text: str) -> ChatCompletionDelta:
        if self.call_id is None:
            self.call_id = new_call_id()
            function = FunctionCallDelta(name=self.mode.name or "", arguments=text)
            call = ToolCallDelta(index=0, id=self.call_id, type="function", function=function)
        else:
            call = ToolCallDelta(index=0, function=FunctionCallDelta(arguments=text))
        return ChatCompletionDelta(tool_calls=[call])

    def finish(self, reason: ChatFinishReason) -> tuple[list[ChatCompletionDelta], ChatFinishReason]:
        """Deltas for what is held back at the end, and the choice's finish reason."""
        if self.mode.kind == "named":
            return [], ("tool_calls" if self.call_id is not None and reason == "stop" else reason)
        held, self.held = self.held, ""
        calls, before = None, ""
        if self.mode.forced and reason == "stop":
            calls = parse_forced_calls(held, self.mode)
        elif self.mode.kind == "auto" and held:
            content, found = parse_auto_calls(held, self.mode)
            calls, before = (found, content or "") if found else (None, "")
        if calls:
            deltas = [ChatCompletionDelta(content=before)] if before else []
            deltas.append(ChatCompletionDelta(tool_calls=[
                ToolCallDelta(index=i, id=c.id, type="function",
                              function=FunctionCallDelta(name=c.function.name, arguments=c.function.arguments))
                for i, c in enumerate(calls)]))
            return deltas, "tool_calls"
        deltas = self._content(held) if held else []
        if self.splitter is not None:
            deltas += _text_deltas(*self.splitter.finish())
        return deltas, reason


def _text_deltas(reasoning: str, content: str) -> list[ChatCompletionDelta]:
    out = []
    if reasoning:
        out.append(ChatCompletionDelta(reasoning_content=reasoning))
    if content:
        out.append(ChatCompletionDelta(content=content))
    return out


async def chat_events(job: ChatJob, run: Run, texts: TokenTexts) -> AsyncIterator[bytes]:
    """The SSE byte stream of a chat completion."""
    n = job.params.n
    streams = [ChatChoiceStream(job) for _ in range(n)]
    want_logprobs = job.params.logprobs is not None
    prompt_len = len(job.prompt.token_ids)

    def chunk(choices: list[ChatCompletionChunkChoice]) -> bytes:
        value = ChatCompletionChunk(id=job.request_id, created=job.created, model=job.model_name, choices=choices,
                                    system_fingerprint=SYSTEM_FINGERPRINT)
        if job.request.include_usage:
            value.usage = None  # OpenAI sends "usage": null on every chunk but the last
        return sse(encode_response(value))

    done: set[int] = set()
    try:
        for i in range(n):
            yield chunk([ChatCompletionChunkChoice(index=i, delta=ChatCompletionDelta(role="assistant", content=""))])
            if job.echo_prefix:
                yield chunk([ChatCompletionChunkChoice(index=i, delta=ChatCompletionDelta(content=job.echo_prefix))])
        final = run.first
        async for out in run.outputs():
            final = out
            for sample in out.outputs:
                if sample.index in done:
                    continue
                stream = streams[sample.index]
                deltas = stream.delta(sample.delta_text)
                logprobs = None
                if want_logprobs and sample.delta_logprobs:
                    logprobs = ChoiceLogprobs(content=chat_logprob_content(sample.delta_logprobs, texts))
                    if not deltas:  # logprobs travel with a chunk even while text is held back
                        deltas = [ChatCompletionDelta()]
                for k, delta in enumerate(deltas):
                    yield chunk([ChatCompletionChunkChoice(index=sample.index, delta=delta,
                                                           logprobs=logprobs if k == 0 else None)])
                if sample.finished:
                    done.add(sample.index)
                    tail, reason = stream.finish(finish_reason(sample.finish_reason))
                    for delta in tail:
                        yield chunk([ChatCompletionChunkChoice(index=sample.index, delta=delta)])
                    yield chunk([ChatCompletionChunkChoice(index=sample.index, delta=ChatCompletionDelta(),
                                                           finish_reason=reason)])
        if job.request.include_usage:
            completion_tokens = sum(len(o.token_ids) for o in final.outputs)
            yield sse(encode_response(ChatCompletionChunk.usage_chunk(
                id=job.request_id, created=job.created, model=job.model_name,
                usage=Usage.of(prompt_len, completion_tokens))))
        yield DONE
    except Exception as exc:  # noqa: BLE001 - the status line is gone: report in-band, then end
        _log_stream_failure("chat", job.request_id, exc)
        yield error_event(exc)


async def completion_events(job: CompletionJob, runs: list[Run | None], texts: TokenTexts) -> AsyncIterator[bytes]:
    """The SSE byte stream of a text completion (every prompt's choices interleaved as they arrive)."""
    n = job.request.num_choices
    offsets: dict[int, int] = {}  # choice index -> characters sent so far (legacy ``text_offset``)

    def chunk(choice: CompletionChoice) -> bytes:
        value = Completion(id=job.request_id, created=job.created, model=job.model_name, choices=[choice],
                           system_fingerprint=SYSTEM_FINGERPRINT)
        return sse(encode_response(value))

    generated = 0
    try:
        for p, run in enumerate(runs):
            prefix = job.prompt_texts[p] if job.echo else ""
            for i in range(n):
                offsets[p * n + i] = len(prefix)
                if prefix or run is None:
                    yield chunk(CompletionChoice(text=prefix, index=p * n + i, logprobs=None,
                                                 finish_reason="length" if run is None else None))
        live = [(p, run) for p, run in enumerate(runs) if run is not None]
        finished: set[int] = set()
        async for k, out in merge([run.outputs() for _, run in live]):
            p = live[k][0]
            for sample in out.outputs:
                index = p * n + sample.index
                if index in finished:
                    continue
                logprobs = None
                if job.request.logprobs is not None and sample.delta_logprobs:
                    logprobs = completion_logprobs(sample.delta_logprobs, texts, offsets[index])
                reason = finish_reason(sample.finish_reason) if sample.finished else None
                if sample.delta_text or logprobs is not None or reason is not None:
                    yield chunk(CompletionChoice(text=sample.delta_text, index=index, logprobs=logprobs,
                                                 finish_reason=reason))
                offsets[index] += len(sample.delta_text)
                if sample.finished:
                    finished.add(index)
                    generated += len(sample.token_ids)
        if job.request.include_usage:
            usage = Usage.of(sum(len(ids) for ids in job.prompts), generated)
            yield sse(encode_response(Completion(id=job.request_id, created=job.created, model=job.model_name,
                                                 choices=[], usage=usage, system_fingerprint=SYSTEM_FINGERPRINT)))
        yield DONE
    except Exception as exc:  # noqa: BLE001 - the status line is gone: report in-band, then end
        _log_stream_failure("completion", job.request_id, exc)
        yield error_event(exc)
