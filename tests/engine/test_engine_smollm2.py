"""The engine on the real SmolLM2-135M-Instruct GGUF (slow: opt in with ``-m slow``)."""

from __future__ import annotations

import json

import jsonschema
import pytest

import constrained
from engine.generate_greedy import generate_greedy
from engine.llm import LLM, chat_prompt_ids
from engine.sampling_params import SamplingParams
from tests.engine.gguf_fixtures import smollm2_gguf

pytestmark = pytest.mark.slow

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 20},
        "age": {"type": "integer", "minimum": 0, "maximum": 120},
        "hobbies": {"type": "array", "items": {"type": "string", "maxLength": 15}, "maxItems": 3},
    },
    "required": ["name", "age", "hobbies"],
    "additionalProperties": False,
}
QUESTION = [{"role": "user", "content": "Describe a person as JSON with name, age and hobbies."}]


@pytest.fixture(scope="module")
def llm() -> LLM:
    return LLM(str(smollm2_gguf()), device="cpu", max_model_len=1024, warmup=False)


def test_greedy_matches_reference_loop(llm: LLM) -> None:
    prompt = chat_prompt_ids(llm.model, [{"role": "user", "content": "Write a haiku about the sea."}])
    out = llm.generate(prompt, SamplingParams(temperature=0.0, max_tokens=32, ignore_eos=True))[0]
    ref = generate_greedy(llm.model.model, prompt, 32)
    assert out.outputs[0].token_ids == ref.tokens


def test_fifty_sampled_outputs_validate(llm: LLM) -> None:
    constraint = constrained.compile_json_schema(SCHEMA, llm.model.vocab)
    params = [
        SamplingParams(temperature=1.0, seed=s, max_tokens=160, constraint=constraint) for s in range(50)
    ]
    outs = llm.chat([QUESTION] * 50, params)
    for out in outs:
        sample = out.outputs[0]
        assert sample.finish_reason == "stop", sample
        jsonschema.validate(json.loads(sample.text), SCHEMA)


def test_seed_reproduces_alone_and_in_batch_of_8(llm: LLM) -> None:
    constraint = constrained.compile_json_schema(SCHEMA, llm.model.vocab)
    target = SamplingParams(temperature=1.0, seed=777, max_tokens=100, constraint=constraint)
    alone = llm.chat(QUESTION, target)[0].outputs[0].token_ids
    others = [SamplingParams(temperature=0.8, seed=s, max_tokens=100) for s in range(7)]
    batch = llm.chat([QUESTION] * 8, [*others[:5], target, *others[5:]])
    assert batch[5].outputs[0].token_ids == alone
