"""Constrained generation on the tiny random model: every output satisfies the schema, whatever the seed."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import constrained
from engine.config import EngineConfig
from engine.llm_engine import LLMEngine
from engine.loader import LoadedModel, load_model
from engine.outputs import RequestOutput
from engine.sampling_params import SamplingParams
from tests.engine.tiny_model import write_tiny_chat_model

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 6},
        "ok": {"type": "boolean"},
        "kind": {"enum": ["hello", "help", "12"]},
    },
    "required": ["name", "ok", "kind"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    return load_model(str(write_tiny_chat_model(tmp_path_factory.mktemp("tiny"))), device="cpu")


@pytest.fixture(scope="module")
def schema_constraint(tiny: LoadedModel) -> Any:
    return constrained.compile_json_schema(SCHEMA, tiny.vocab, whitespace="compact")


def make(tiny: LoadedModel, **kw: object) -> LLMEngine:
    cfg: dict = {"num_blocks": 256, "block_size": 8, "warmup": False, "num_threads": 1}
    cfg.update(kw)
    return LLMEngine(tiny, EngineConfig(**cfg))


def run(engine: LLMEngine, reqs: list[tuple[list[int], SamplingParams]]) -> tuple[list[RequestOutput], dict[str, str]]:
    for i, (p, sp) in enumerate(reqs):
        engine.add_request(str(i), p, sp)
    final: dict[str, RequestOutput] = {}
    errors: dict[str, str] = {}
    while engine.has_unfinished():
        for out in engine.step():
            if out.finished:
                final[out.request_id] = out
        errors |= engine.pop_errors()
    return [final[str(i)] for i in range(len(reqs))], errors


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_sampled_outputs_validate(tiny: LoadedModel, schema_constraint: Any, seed: int) -> None:
    params = SamplingParams(temperature=1.0, seed=seed, max_tokens=120, constraint=schema_constraint, n=2)
    (out,), errors = run(make(tiny), [([5, 6, 7], params)])
    assert errors == {}
    for sample in out.outputs:
        assert sample.finish_reason == "stop", sample
        jsonschema.validate(json.loads(sample.text), SCHEMA)


def test_batch_of_mixed_constrained_rows(tiny: LoadedModel, schema_constraint: Any) -> None:
    reqs = []
    for i in range(8):
        c = schema_constraint if i % 2 == 0 else None
        reqs.append(([5 + i, 9], SamplingParams(temperature=1.0, seed=i, max_tokens=100, constraint=c)))
    outs, errors = run(make(tiny), reqs)
    assert errors == {}
    for i, out in enumerate(outs):
        if i % 2 == 0:
            jsonschema.validate(json.loads(out.outputs[0].text), SCHEMA)
    # the same seeded constrained request alone gives the same text as inside the batch
    (alone,), _ = run(make(tiny), [reqs[2]])
    assert alone.outputs[0].token_ids == outs[2].outputs[0].token_ids


def test_jump_forward_does_not_change_greedy_output(tiny: LoadedModel, schema_constraint: Any) -> None:
    params = SamplingParams(temperature=0.0, max_tokens=120, constraint=schema_constraint)
    (fast,), _ = run(make(tiny, jump_forward=True), [([5, 6], params)])
    (slow,), _ = run(make(tiny, jump_forward=False), [([5, 6], params)])
    assert fast.outputs[0].token_ids == slow.outputs[0].token_ids
    jsonschema.validate(json.loads(fast.outputs[0].text), SCHEMA)


def test_choice_constraint_with_logprobs(tiny: LoadedModel) -> None:
    choice = constrained.compile_choice(["hello", "help me", "12"], tiny.vocab)
    params = SamplingParams(temperature=1.0, seed=3, max_tokens=20, constraint=choice, logprobs=2)
    (out,), errors = run(make(tiny), [([5], params)])
    assert errors == {}
    assert out.outputs[0].text in {"hello", "help me", "12"}
    assert out.outputs[0].logprobs is not None and len(out.outputs[0].logprobs) == len(out.outputs[0].token_ids)


class _RejectingMatcher:
    """Allows every token in its mask, then rejects whatever is advanced (an internal error to contain)."""

    def fill_bitmask(self, words: Any) -> None:
        words[:] = -1

    def advance(self, token: int) -> bool:
        return False

    def is_terminated(self) -> bool:
        return False


class _Rejecting:
    def matcher(self) -> _RejectingMatcher:
        return _RejectingMatcher()


def test_rejected_token_fails_only_that_request(tiny: LoadedModel) -> None:
    bad = SamplingParams(temperature=0.0, max_tokens=5, constraint=_Rejecting())
    good = SamplingParams(temperature=0.0, max_tokens=5, ignore_eos=True)
    outs, errors = run(make(tiny), [([5, 6], bad), ([5, 6], good)])
    assert set(errors) == {"0"} and "rejected" in errors["0"]
    assert outs[0].outputs[0].finish_reason == "abort"
    assert outs[1].outputs[0].finish_reason == "length" and len(outs[1].outputs[0].token_ids) == 5


class _OverBudgetMatcher:
    """Allows every token, then goes over a budget on the second mask or on the second advance."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.masks = self.advances = 0

    def fill_bitmask(self, words: Any) -> None:
        self.masks += 1
        if self.where == "mask" and self.masks == 2:
            raise constrained.BudgetExceeded("max_states", "terminal T7 needs more than 10 DFA states")
        words[:] = -1

    def advance(self, token: int) -> bool:
        self.advances += 1
        if self.where == "advance" and self.advances == 2:
            raise constrained.BudgetExceeded("max_items", "an Earley set grew past 10 items")
        return True

    def is_terminated(self) -> bool:
        return False

    def forced_tokens(self, limit: int = 64) -> list[int]:
        return []


class _OverBudget:
    def __init__(self, where: str) -> None:
        self.where = where

    def matcher(self) -> _OverBudgetMatcher:
        return _OverBudgetMatcher(self.where)


@pytest.mark.parametrize("where", ["mask", "advance"])
def test_constraint_over_budget_at_run_time_fails_only_that_request(tiny: LoadedModel, where: str) -> None:
    bad = SamplingParams(temperature=0.0, max_tokens=6, constraint=_OverBudget(where))
    plain = SamplingParams(temperature=0.0, max_tokens=6, ignore_eos=True)
    outs, errors = run(make(tiny), [([5, 6], bad), ([5, 6], plain), ([7], plain)])
    assert set(errors) == {"0"} and errors["0"].startswith("the constraint failed")
    assert ("T7" if where == "mask" else "Earley set") in errors["0"]
    assert outs[0].outputs[0].finish_reason == "abort"
    assert len(outs[0].outputs[0].token_ids) == 1  # the token before the failure is kept
    for out in outs[1:]:  # the rest of the batch carries on
        assert out.outputs[0].finish_reason == "length" and len(out.outputs[0].token_ids) == 6
