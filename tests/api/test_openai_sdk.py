"""Round trips through the official ``openai`` SDK, over an in-memory transport (no network).

The SDK builds the request body (exactly what a real client sends) and our decoder must accept it; our encoded
response, stream chunks and errors must parse into the SDK's own types.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pydantic
import pytest
from openai.types import Completion as SdkCompletion
from openai.types.chat import ChatCompletion as SdkChatCompletion
from openai.types.chat import ChatCompletionChunk as SdkChatCompletionChunk

from api.schemas import (
    ChatCompletionRequest,
    ErrorResponse,
    NamedToolChoice,
    RequestError,
    ResponseFormatJsonSchema,
    decode_chat_request,
    decode_completion_request,
    encode_response,
)
from tests.api import samples

try:  # recent SDKs are built on httpx2 (and still accept httpx clients); older ones on httpx
    import httpx2 as httpx
except ImportError:  # pragma: no cover - depends on the installed SDK
    import httpx  # type: ignore[no-redef]

# the SDK's TypedDict params, as plain JSON-like values (the dicts in samples.py are what clients send)
MESSAGES: Any = [samples.USER]
CONVERSATION: Any = samples.CONVERSATION
TOOLS: Any = [samples.WEATHER_TOOL]


class Weather(pydantic.BaseModel):
    city: str
    celsius: float
    tags: list[str]


class Recorder:
    """An httpx transport that records request bodies and answers with prepared bytes."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.reply: Callable[[bytes], Any] = lambda _: httpx.Response(500)

    def __call__(self, request: Any) -> Any:
        self.bodies.append(request.content)
        return self.reply(request.content)

    def json(self, data: bytes) -> None:
        self.reply = lambda _: httpx.Response(200, content=data, headers={"content-type": "application/json"})

    def sse(self, events: list[bytes]) -> None:
        body = b"".join(b"data: " + e + b"\n\n" for e in [*events, b"[DONE]"])
        self.reply = lambda _: httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(recorder: Recorder) -> Iterator[openai.OpenAI]:
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    with openai.OpenAI(api_key="k", base_url="http://test/v1", http_client=http, max_retries=0) as c:
        yield c


def test_create_with_tools_and_named_choice(client: openai.OpenAI, recorder: Recorder) -> None:
    recorder.json(encode_response(samples.chat_tool_calls()))
    result = client.chat.completions.create(
        model="smollm2", messages=CONVERSATION,
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_weather"}}, parallel_tool_calls=False,
        temperature=0.2, top_p=0.9, n=1, seed=3, stop=["\n"], max_completion_tokens=50, presence_penalty=0.1,
        frequency_penalty=0.1, logit_bias={"42": -5}, user="u", metadata={"k": "v"}, store=False,
    )
    request = decode_chat_request(recorder.bodies[0])
    assert isinstance(request.tool_choice, NamedToolChoice) and request.forced_tool == "get_weather"
    assert request.tools is not None and request.tools[0].function.strict is True
    assert request.logit_bias == {"42": -5} and request.max_new_tokens == 50
    call = result.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}
    assert result.choices[0].finish_reason == "tool_calls" and result.usage and result.usage.total_tokens == 42


def test_create_with_json_schema_and_logprobs(client: openai.OpenAI, recorder: Recorder) -> None:
    recorder.json(encode_response(samples.chat_text()))
    fmt = samples.CHAT_REQUESTS["json_schema"]["response_format"]
    result = client.chat.completions.create(model="smollm2", messages=MESSAGES,
                                            response_format=fmt, logprobs=True, top_logprobs=2)
    request = decode_chat_request(recorder.bodies[0])
    assert isinstance(request.response_format, ResponseFormatJsonSchema)
    assert request.response_format.json_schema.strict is True and request.top_logprobs == 2
    logprobs = result.choices[0].logprobs
    assert logprobs is not None and logprobs.content is not None
    assert logprobs.content[0].token == "{" and len(logprobs.content[0].top_logprobs) == 2
    assert result.system_fingerprint == "fp_constrained"


def test_parse_with_pydantic_model_sends_strict_schema(client: openai.OpenAI, recorder: Recorder) -> None:
    answer = '{"city": "Paris", "celsius": 18.5, "tags": ["sunny"]}'
    recorder.json(encode_response(samples.chat_text(answer)))
    result = client.chat.completions.parse(model="smollm2", messages=MESSAGES,
                                           response_format=Weather)
    sent = json.loads(recorder.bodies[0])
    assert sent["response_format"]["type"] == "json_schema" and sent["response_format"]["json_schema"]["strict"]
    request = decode_chat_request(recorder.bodies[0])
    assert isinstance(request.response_format, ResponseFormatJsonSchema)
    schema = request.response_format.json_schema.schema
    assert schema is not None and schema["additionalProperties"] is False
    assert set(schema["required"]) == {"city", "celsius", "tags"}
    assert result.choices[0].message.parsed == Weather(city="Paris", celsius=18.5, tags=["sunny"])


def test_parse_with_pydantic_function_tool(client: openai.OpenAI, recorder: Recorder) -> None:
    reply = samples.chat_tool_calls()
    call = reply.choices[0].message.tool_calls[0]
    call.function.arguments = '{"city": "Paris", "celsius": 18, "tags": []}'
    recorder.json(encode_response(reply))
    tool = openai.pydantic_function_tool(Weather, name="get_weather")
    result = client.chat.completions.parse(model="smollm2", messages=MESSAGES,
                                           tools=[tool], tool_choice="required")
    request = decode_chat_request(recorder.bodies[0])
    assert request.tools is not None and request.tools[0].function.strict is True
    assert request.forced_tool == "required"
    parsed = result.choices[0].message.tool_calls[0].function.parsed_arguments
    assert parsed == Weather(city="Paris", celsius=18, tags=[])


def test_extra_body_carries_vllm_extensions(client: openai.OpenAI, recorder: Recorder) -> None:
    recorder.json(encode_response(samples.chat_n2_length()))
    result = client.chat.completions.create(
        model="smollm2", messages=MESSAGES, n=2, max_tokens=1,
        extra_body={"guided_choice": ["a", "b"], "top_k": 5, "min_p": 0.1, "repetition_penalty": 1.1,
                    "chat_template_kwargs": {"enable_thinking": False}})
    request = decode_chat_request(recorder.bodies[0])
    assert request.guided_choice == ["a", "b"] and request.top_k_limit == 5 and request.num_choices == 2
    assert [c.message.content for c in result.choices] == ["a", "b"]
    assert all(c.finish_reason == "length" for c in result.choices)


def test_stream_with_usage(client: openai.OpenAI, recorder: Recorder) -> None:
    recorder.sse([encode_response(c) for c in samples.text_stream()])
    stream = client.chat.completions.create(model="smollm2", messages=MESSAGES,
                                            stream=True, stream_options={"include_usage": True}, logprobs=True)
    chunks = list(stream)
    assert decode_chat_request(recorder.bodies[0]).include_usage
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello"
    assert [c.choices[0].finish_reason for c in chunks if c.choices] == [None, None, None, "stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 2
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_helper_accumulates_tool_call(client: openai.OpenAI, recorder: Recorder) -> None:
    recorder.sse([encode_response(c) for c in samples.tool_stream()])
    with client.chat.completions.stream(model="smollm2", messages=MESSAGES,
                                        tools=TOOLS) as stream:
        final = stream.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    assert call.id == "call_abc" and json.loads(call.function.arguments) == {"city": "Paris"}
    assert final.choices[0].finish_reason == "tool_calls"


def test_legacy_completion(client: openai.OpenAI, recorder: Recorder) -> None:
    recorder.json(encode_response(samples.completion()))
    result = client.completions.create(model="smollm2", prompt=[[1, 2], [3]], max_tokens=2, logprobs=2, echo=True,
                                       best_of=1, seed=1, stop=["x"], temperature=0)
    request = decode_completion_request(recorder.bodies[0])
    assert request.prompts == [[1, 2], [3]] and request.logprobs == 2 and request.echo
    assert result.choices[0].logprobs is not None and result.choices[0].logprobs.text_offset == [0, 5]


def test_legacy_completion_stream(client: openai.OpenAI, recorder: Recorder) -> None:
    recorder.sse([encode_response(samples.completion_chunk()), encode_response(samples.completion_chunk("length"))])
    chunks = list(client.completions.create(model="smollm2", prompt="Hello", stream=True, max_tokens=2))
    assert [c.choices[0].finish_reason for c in chunks] == [None, "length"]
    assert "".join(c.choices[0].text for c in chunks) == " wor wor"
    assert decode_completion_request(recorder.bodies[0]).stream


def test_our_error_becomes_the_sdk_error_with_param(client: openai.OpenAI, recorder: Recorder) -> None:
    def reply(body: bytes) -> Any:
        try:
            decode_chat_request(body)
        except RequestError as exc:
            return httpx.Response(400, content=encode_response(ErrorResponse.from_request_error(exc)),
                                  headers={"content-type": "application/json"})
        return httpx.Response(500)

    recorder.reply = reply
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="smollm2", messages=MESSAGES,
                                       top_logprobs=3)
    assert info.value.param == "top_logprobs" and info.value.type == "invalid_request_error"
    assert info.value.code is None and "logprobs" in info.value.message


@pytest.mark.parametrize("make", [samples.chat_text, samples.chat_tool_calls, samples.chat_n2_length])
def test_sdk_model_validate_chat_completion(make: Callable[[], Any]) -> None:
    ours = make()
    sdk = SdkChatCompletion.model_validate_json(encode_response(ours))
    assert sdk.object == "chat.completion" and sdk.id == ours.id and len(sdk.choices) == len(ours.choices)
    assert sdk.choices[0].message.role == "assistant"


@pytest.mark.parametrize("chunk", samples.text_stream() + samples.tool_stream(), ids=lambda c: str(id(c))[-4:])
def test_sdk_model_validate_chunk(chunk: Any) -> None:
    sdk = SdkChatCompletionChunk.model_validate_json(encode_response(chunk))
    assert sdk.object == "chat.completion.chunk" and len(sdk.choices) == len(chunk.choices)


# a non-final stream chunk (finish_reason null) is checked through the streaming client above: the SDK builds
# stream chunks without validation, and its Completion model does not admit a null finish_reason
@pytest.mark.parametrize("completion", [samples.completion(), samples.completion_chunk("stop")],
                         ids=["whole", "last-chunk"])
def test_sdk_model_validate_completion(completion: Any) -> None:
    sdk = SdkCompletion.model_validate_json(encode_response(completion))
    assert sdk.object == "text_completion" and sdk.choices[0].text == completion.choices[0].text


def test_requests_decode_to_chat_type() -> None:
    for body in samples.CHAT_REQUESTS.values():
        assert isinstance(decode_chat_request(json.dumps(body)), ChatCompletionRequest)


def test_http_error_helper_matches_the_wire_type() -> None:
    from api.errors import request_error_response

    exc = RequestError("bad", "messages[0].content")
    response = request_error_response(exc)
    assert response.status_code == 400
    assert response.content == json.loads(encode_response(ErrorResponse.from_request_error(exc)))
