"""AsyncEngine on the tiny model: streaming, bad input, consumer abort, overload, shutdown."""

from __future__ import annotations

import asyncio

import pytest

from engine.async_engine import AsyncEngine, EngineOverloaded
from engine.config import EngineConfig
from engine.llm_engine import LLMEngine
from engine.loader import LoadedModel, load_model
from engine.outputs import RequestOutput
from engine.sampling_params import SamplingParams
from tests.engine.tiny_model import write_tiny_chat_model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    return load_model(str(write_tiny_chat_model(tmp_path_factory.mktemp("tiny"))), device="cpu")


def make(tiny: LoadedModel, **kw: object) -> AsyncEngine:
    cfg: dict = {"num_blocks": 64, "block_size": 4, "warmup": False, "num_threads": 1}
    cfg.update(kw)
    return AsyncEngine(LLMEngine(tiny, EngineConfig(**cfg)))


async def collect(engine: AsyncEngine, rid: str, prompt: list[int], params: SamplingParams) -> list[RequestOutput]:
    return [out async for out in engine.generate(rid, prompt, params)]


def test_streams_deltas_that_add_up(tiny: LoadedModel) -> None:
    async def main() -> None:
        engine = make(tiny)
        params = SamplingParams(temperature=0, max_tokens=8, ignore_eos=True)
        a, b = await asyncio.gather(
            collect(engine, "a", [5, 6, 7], params), collect(engine, "b", [8, 9], params)
        )
        for outs in (a, b):
            assert outs[-1].finished and not any(o.finished for o in outs[:-1])
            final = outs[-1].outputs[0]
            assert len(final.token_ids) == 8
            assert sum((o.outputs[0].delta_token_ids for o in outs), []) == final.token_ids
            assert "".join(o.outputs[0].delta_text for o in outs) == final.text
        assert engine.stats().generation_tokens_total == 16
        await engine.shutdown(1.0)

    asyncio.run(main())


def test_bad_input_raises_before_first_item(tiny: LoadedModel) -> None:
    async def main() -> None:
        engine = make(tiny, max_model_len=16)
        with pytest.raises(ValueError, match="max_model_len"):
            await collect(engine, "long", [5] * 40, SamplingParams())
        with pytest.raises(ValueError, match="temperature"):
            await collect(engine, "t", [5], SamplingParams(temperature=-1))
        ok = await collect(engine, "ok", [5], SamplingParams(max_tokens=2, ignore_eos=True))
        assert ok[-1].finished
        await engine.shutdown(1.0)

    asyncio.run(main())


def test_consumer_stopping_aborts_and_frees_blocks(tiny: LoadedModel) -> None:
    async def main() -> None:
        engine = make(tiny)
        gen = engine.generate("r", [5, 6, 7, 8, 9], SamplingParams(max_tokens=200, ignore_eos=True))
        async for out in gen:
            if len(out.outputs[0].token_ids) >= 3:
                break
        await gen.aclose()
        for _ in range(200):
            if engine.stats().kv_blocks_used == 0 and not engine.engine.requests:
                break
            await asyncio.sleep(0.01)
        assert engine.stats().kv_blocks_used == 0
        assert not engine.engine.requests

        task = asyncio.create_task(collect(engine, "c", [5, 6], SamplingParams(max_tokens=200, ignore_eos=True)))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for _ in range(200):
            if not engine.engine.requests:
                break
            await asyncio.sleep(0.01)
        assert engine.stats().kv_blocks_used == 0
        await engine.shutdown(1.0)

    asyncio.run(main())


def test_abort_ends_stream_with_abort(tiny: LoadedModel) -> None:
    async def main() -> None:
        engine = make(tiny)
        outs: list[RequestOutput] = []

        async def consume() -> None:
            async for out in engine.generate("x", [5, 6], SamplingParams(max_tokens=500, ignore_eos=True)):
                outs.append(out)
                if len(outs) == 2:
                    await engine.abort("x")

        await asyncio.wait_for(consume(), 10)
        assert outs[-1].finished and outs[-1].outputs[0].finish_reason == "abort"
        await engine.shutdown(1.0)

    asyncio.run(main())


def test_overload_and_shutdown(tiny: LoadedModel) -> None:
    async def main() -> None:
        engine = make(tiny, max_waiting=1, max_num_seqs=1)
        long = SamplingParams(max_tokens=400, ignore_eos=True)
        first = asyncio.create_task(collect(engine, "1", [5], long))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(collect(engine, "2", [6], long))
        await asyncio.sleep(0.05)
        with pytest.raises(EngineOverloaded):
            await collect(engine, "3", [7], long)
        await engine.shutdown(0.1)
        results = await asyncio.gather(first, second)
        assert all(r[-1].finished for r in results)
        assert {r[-1].outputs[0].finish_reason for r in results} <= {"abort", "length"}

    asyncio.run(main())
