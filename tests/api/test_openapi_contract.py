"""Contract tests against OpenAI's own OpenAPI document (``../shared/corpora/openai-openapi``).

Our encoded responses, chunks and errors must validate against OpenAI's response schemas, and the sample requests
our decoder accepts must validate against OpenAI's request schemas (after stripping vLLM-only fields). Skips,
naming the missing file, when the shared corpora are not beside the checkout.

The document is OpenAPI 3.1 but still uses the 3.0 ``nullable: true`` keyword, which JSON Schema ignores; it is
rewritten to ``anyOf [..., {"type": "null"}]`` so that ``null`` is checked as OpenAI means it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema
import msgspec
import pytest

from api.schemas import decode_chat_request, decode_completion_request, encode_response
from tests.api import samples
from tests.conftest import shared_path


def _rewrite_nullable(node: Any) -> Any:
    if isinstance(node, list):
        return [_rewrite_nullable(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _rewrite_nullable(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


@pytest.fixture(scope="module")
def components() -> dict[str, Any]:
    path = shared_path("corpora", "openai-openapi", "openai_chat_completions_subset.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    return {"components": _rewrite_nullable(document["components"])}


def validator(components: dict[str, Any], name: str) -> jsonschema.Draft202012Validator:
    # the components sit in the root schema, so "#/components/schemas/X" refs resolve as written
    schema = {"$ref": f"#/components/schemas/{name}", **components}
    return jsonschema.Draft202012Validator(schema)


def check(components: dict[str, Any], name: str, instance: Any) -> None:
    errors = sorted(validator(components, name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def wire(obj: msgspec.Struct) -> Any:
    return json.loads(encode_response(obj))


RESPONSES: dict[str, tuple[str, Callable[[], msgspec.Struct]]] = {
    "chat_text": ("CreateChatCompletionResponse", samples.chat_text),
    "chat_tool_calls": ("CreateChatCompletionResponse", samples.chat_tool_calls),
    "chat_n2_length": ("CreateChatCompletionResponse", samples.chat_n2_length),
    "completion": ("CreateCompletionResponse", samples.completion),
    "completion_last_chunk": ("CreateCompletionResponse", lambda: samples.completion_chunk("stop")),
    "error": ("ErrorResponse", samples.error),
}


@pytest.mark.parametrize("case", list(RESPONSES))
def test_responses_match_openai_schema(components: dict[str, Any], case: str) -> None:
    name, make = RESPONSES[case]
    check(components, name, wire(make()))


@pytest.mark.parametrize("index", range(len(samples.text_stream()) + len(samples.tool_stream())))
def test_chunks_match_openai_schema(components: dict[str, Any], index: int) -> None:
    chunk = (samples.text_stream() + samples.tool_stream())[index]
    check(components, "CreateChatCompletionStreamResponse", wire(chunk))


def _without(body: dict[str, Any], schema_properties: set[str]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in samples.VLLM_FIELDS or k in schema_properties}


def _properties(components: dict[str, Any], *names: str) -> set[str]:
    schemas = components["components"]["schemas"]
    props: set[str] = set()
    for name in names:
        node = schemas[name]
        for part in node.get("allOf", [node]):
            props |= set(part.get("properties", {}))
    return props


@pytest.mark.parametrize("case", list(samples.CHAT_REQUESTS))
def test_accepted_chat_requests_match_openai_schema(components: dict[str, Any], case: str) -> None:
    body = samples.CHAT_REQUESTS[case]
    decode_chat_request(json.dumps(body))
    known = _properties(components, "CreateChatCompletionRequest", "CreateModelResponseProperties",
                        "ModelResponseProperties")
    stripped = _without(body, known)
    assert set(stripped) <= known, set(stripped) - known
    check(components, "CreateChatCompletionRequest", stripped)


@pytest.mark.parametrize("case", list(samples.COMPLETION_REQUESTS))
def test_accepted_completion_requests_match_openai_schema(components: dict[str, Any], case: str) -> None:
    body = samples.COMPLETION_REQUESTS[case]
    decode_completion_request(json.dumps(body))
    known = _properties(components, "CreateCompletionRequest")
    stripped = _without(body, known)
    assert set(stripped) <= known, set(stripped) - known
    check(components, "CreateCompletionRequest", stripped)


@pytest.mark.parametrize(("name", "broken"), [
    ("CreateChatCompletionResponse", lambda b: b["choices"][0]["message"].pop("refusal")),
    ("CreateChatCompletionResponse", lambda b: b["choices"][0].update(finish_reason=None)),
    ("CreateChatCompletionStreamResponse", lambda b: b["choices"][0].pop("finish_reason")),
    ("ErrorResponse", lambda b: b["error"].pop("param")),
])
def test_the_contract_check_can_fail(components: dict[str, Any], name: str, broken: Any) -> None:
    body = {"CreateChatCompletionResponse": lambda: wire(samples.chat_text()),
            "CreateChatCompletionStreamResponse": lambda: wire(samples.text_stream()[1]),
            "ErrorResponse": lambda: wire(samples.error())}[name]()
    broken(body)
    assert list(validator(components, name).iter_errors(body))


def test_pydantic_parse_payload_matches_openai_schema_and_decodes(components: dict[str, Any]) -> None:
    """The body of ``chat.completions.parse(response_format=Model)``, built by the SDK's own helper."""
    parsing = pytest.importorskip("openai.lib._parsing", reason="this openai SDK has no parse helpers")
    pydantic = pytest.importorskip("pydantic")

    class Step(pydantic.BaseModel):
        explanation: str
        output: str

    class Reasoning(pydantic.BaseModel):
        steps: list[Step]
        final_answer: str | None

    fmt = parsing.type_to_response_format_param(Reasoning)
    body = {"model": samples.MODEL, "messages": [samples.USER], "response_format": fmt}
    check(components, "CreateChatCompletionRequest", body)
    request = decode_chat_request(json.dumps(body))
    spec = request.response_format.json_schema  # type: ignore[union-attr]
    assert spec.strict is True and spec.name == "Reasoning" and spec.schema is not None
    assert spec.schema["additionalProperties"] is False and "$defs" in spec.schema
