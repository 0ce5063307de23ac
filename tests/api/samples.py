"""Sample wire objects shared by the API schema tests: responses and chunks built with our structs, and
request bodies as the OpenAI SDK and vLLM clients send them."""

from __future__ import annotations

from typing import Any

from api.schemas import (
    ChatCompletion,
    ChatCompletionChoice,
    ChatCompletionChunk,
    ChatCompletionChunkChoice,
    ChatCompletionDelta,
    ChatCompletionMessage,
    ChoiceLogprobs,
    Completion,
    CompletionChoice,
    CompletionLogprobs,
    ErrorResponse,
    FunctionCall,
    FunctionCallDelta,
    RequestError,
    TokenLogprob,
    ToolCall,
    ToolCallDelta,
    TopLogprob,
    Usage,
)

ID, CREATED, MODEL = "chatcmpl-123", 1_700_000_000, "smollm2"


def token_logprob(token: str, logprob: float) -> TokenLogprob:
    alt = TopLogprob(token=token.upper(), logprob=logprob - 1.5, bytes=list(token.upper().encode()))
    return TokenLogprob(token=token, logprob=logprob, bytes=list(token.encode()),
                        top_logprobs=[TopLogprob(token=token, logprob=logprob, bytes=list(token.encode())), alt])


def chat_text(content: str = '{"name": "Ada"}') -> ChatCompletion:
    message = ChatCompletionMessage(content=content, refusal=None)
    logprobs = ChoiceLogprobs(content=[token_logprob("{", -0.01), token_logprob("\"name", -0.2)])
    return ChatCompletion(id=ID, created=CREATED, model=MODEL, system_fingerprint="fp_constrained",
                          choices=[ChatCompletionChoice(index=0, message=message, logprobs=logprobs,
                                                        finish_reason="stop")],
                          usage=Usage.of(12, 7))


def chat_tool_calls() -> ChatCompletion:
    call = ToolCall(id="call_abc", function=FunctionCall(name="get_weather", arguments='{"city": "Paris"}'))
    message = ChatCompletionMessage(content=None, refusal=None, tool_calls=[call])
    return ChatCompletion(id=ID, created=CREATED, model=MODEL,
                          choices=[ChatCompletionChoice(index=0, message=message, logprobs=None,
                                                        finish_reason="tool_calls")],
                          usage=Usage.of(30, 12))


def chat_n2_length() -> ChatCompletion:
    choices = [ChatCompletionChoice(index=i, message=ChatCompletionMessage(content="ab"[i], refusal=None,
                                                                           reasoning_content="thinking"),
                                    logprobs=None, finish_reason="length") for i in range(2)]
    return ChatCompletion(id=ID, created=CREATED, model=MODEL, choices=choices, usage=Usage.of(3, 2))


def _chunk(delta: ChatCompletionDelta, finish: Any = None, logprobs: ChoiceLogprobs | None = None,
           with_usage: bool = True) -> ChatCompletionChunk:
    choice = ChatCompletionChunkChoice(index=0, delta=delta, logprobs=logprobs, finish_reason=finish)
    chunk = ChatCompletionChunk(id=ID, created=CREATED, model=MODEL, choices=[choice],
                                system_fingerprint="fp_constrained")
    if with_usage:
        chunk.usage = None  # include_usage: null on every chunk but the last
    return chunk


def text_stream() -> list[ChatCompletionChunk]:
    """A streamed text answer with logprobs and ``include_usage``."""
    return [
        _chunk(ChatCompletionDelta(role="assistant", content="")),
        _chunk(ChatCompletionDelta(content="Hel"), logprobs=ChoiceLogprobs(content=[token_logprob("Hel", -0.1)])),
        _chunk(ChatCompletionDelta(content="lo"), logprobs=ChoiceLogprobs(content=[token_logprob("lo", -0.3)])),
        _chunk(ChatCompletionDelta(), finish="stop"),
        ChatCompletionChunk.usage_chunk(id=ID, created=CREATED, model=MODEL, usage=Usage.of(5, 2)),
    ]


def tool_stream() -> list[ChatCompletionChunk]:
    """A streamed tool call without ``include_usage`` (no ``usage`` key at all)."""
    first = ToolCallDelta(index=0, id="call_abc", type="function",
                          function=FunctionCallDelta(name="get_weather", arguments=""))
    return [
        _chunk(ChatCompletionDelta(role="assistant", content=None, tool_calls=[first]), with_usage=False),
        _chunk(ChatCompletionDelta(tool_calls=[ToolCallDelta(index=0, function=FunctionCallDelta(
            arguments='{"city": '))]), with_usage=False),
        _chunk(ChatCompletionDelta(tool_calls=[ToolCallDelta(index=0, function=FunctionCallDelta(
            arguments='"Paris"}'))]), with_usage=False),
        _chunk(ChatCompletionDelta(), finish="tool_calls", with_usage=False),
    ]


def completion(echo: bool = False) -> Completion:
    logprobs = CompletionLogprobs(tokens=["Hello", " world"], token_logprobs=[-0.5, -1.25],
                                  top_logprobs=[{"Hello": -0.5, "Hi": -1.0}, {" world": -1.25, " there": -2.0}],
                                  text_offset=[0, 5])
    return Completion(id="cmpl-1", created=CREATED, model=MODEL, system_fingerprint="fp_constrained",
                      choices=[CompletionChoice(text="Hello world", index=0, logprobs=logprobs,
                                                finish_reason="length")],
                      usage=Usage.of(2, 2))


def completion_chunk(finish: Any = None) -> Completion:
    return Completion(id="cmpl-1", created=CREATED, model=MODEL,
                      choices=[CompletionChoice(text=" wor", index=0, logprobs=None, finish_reason=finish)])


def error() -> ErrorResponse:
    return ErrorResponse.from_request_error(RequestError("'top_logprobs' requires 'logprobs': true", "top_logprobs"))


# --- request bodies ---------------------------------------------------------------------------------------------

USER = {"role": "user", "content": "Weather in Paris?"}

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather", "strict": True,
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                   "additionalProperties": False}}}

CONVERSATION = [
    {"role": "developer", "content": "Be brief."},
    {"role": "system", "content": [{"type": "text", "text": "You are a weather bot."}]},
    USER,
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_abc", "type": "function",
         "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
    {"role": "tool", "tool_call_id": "call_abc", "content": "18C, sunny"},
    {"role": "assistant", "content": [{"type": "text", "text": "18C and sunny."}], "name": "bot"},
    {"role": "user", "content": [{"type": "text", "text": "And tomorrow?"}], "name": "ada"},
]

CHAT_REQUESTS: dict[str, dict[str, Any]] = {
    "minimal": {"model": MODEL, "messages": [USER]},
    "sampling": {"model": MODEL, "messages": [USER], "temperature": 0.7, "top_p": 0.9, "n": 2, "seed": 42,
                 "stop": ["\n\n", "END"], "max_completion_tokens": 64, "presence_penalty": 0.5,
                 "frequency_penalty": -0.5, "logit_bias": {"50256": -100}, "logprobs": True, "top_logprobs": 5,
                 "user": "u-1", "metadata": {"team": "a"}, "store": False, "service_tier": "auto",
                 "prompt_cache_key": "k", "reasoning_effort": "low", "stream": True,
                 "stream_options": {"include_usage": True},
                 "prediction": {"type": "content", "content": "18C"}},
    "tools": {"model": MODEL, "messages": CONVERSATION, "tools": [WEATHER_TOOL],
              "tool_choice": {"type": "function", "function": {"name": "get_weather"}}, "parallel_tool_calls": False},
    "tools_auto": {"model": MODEL, "messages": CONVERSATION, "tools": [WEATHER_TOOL], "tool_choice": "auto"},
    "json_schema": {"model": MODEL, "messages": [USER], "response_format": {"type": "json_schema", "json_schema": {
        "name": "weather", "description": "a forecast", "strict": True,
        "schema": {"type": "object", "properties": {"t": {"type": "number"}}, "required": ["t"]}}}},
    "json_object": {"model": MODEL, "messages": [USER], "response_format": {"type": "json_object"},
                    "max_tokens": 100},
    "vendor_schema": {"model": MODEL, "messages": [USER], "response_format": {
        "type": "json_object", "schema": {"type": "object"}}},
    "text": {"model": MODEL, "messages": [USER], "response_format": {"type": "text"}, "stop": "\n"},
    "vllm": {"model": MODEL, "messages": [USER], "guided_regex": "[0-9]+", "top_k": 20, "min_p": 0.05,
             "repetition_penalty": 1.1, "min_tokens": 1, "ignore_eos": False, "include_stop_str_in_output": True,
             "chat_template_kwargs": {"enable_thinking": False}, "add_special_tokens": False, "priority": 1,
             "request_id": "r-1", "echo": False, "documents": [{"title": "t", "text": "x"}]},
}

COMPLETION_REQUESTS: dict[str, dict[str, Any]] = {
    "string": {"model": MODEL, "prompt": "Once upon", "max_tokens": 8, "temperature": 0, "stop": "."},
    "strings": {"model": MODEL, "prompt": ["a", "b"], "n": 2, "best_of": 2, "logprobs": 3, "echo": True,
                "stream": True, "stream_options": {"include_usage": True}, "seed": 1, "user": "u",
                "logit_bias": {"7": 5}, "presence_penalty": 1, "frequency_penalty": 1, "top_p": 0.5},
    "ids": {"model": MODEL, "prompt": [1, 2, 3], "max_tokens": 0, "echo": True, "logprobs": 0},
    "id_lists": {"model": MODEL, "prompt": [[1, 2], [3]], "guided_choice": ["yes", "no"], "top_k": -1},
}

# vLLM-only request fields: not in OpenAI's schema, stripped before contract validation
VLLM_FIELDS = {
    "top_k", "min_p", "repetition_penalty", "guided_json", "guided_regex", "guided_choice", "guided_grammar",
    "guided_whitespace_pattern", "guided_decoding_backend", "echo", "add_generation_prompt", "continue_final_message",
    "add_special_tokens", "documents", "chat_template", "chat_template_kwargs", "include_stop_str_in_output",
    "ignore_eos", "min_tokens", "priority", "request_id", "context_length_exceeded_behavior",
}
