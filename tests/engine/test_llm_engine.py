"""The engine on a tiny random GGUF model: paged cache, batching, prefix sharing, preemption, abort, seeds."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.config import EngineConfig
from engine.generate_greedy import generate_greedy
from engine.kv_cache import PagedKVCache
from engine.llm import LLM
from engine.llm_engine import LLMEngine
from engine.loader import LoadedModel, load_model
from engine.model import KVCache
from engine.model_runner import ModelRunner
from engine.outputs import RequestOutput
from engine.sampling_params import SamplingParams
from engine.sequence import Request, Sequence
from tests.engine.tiny_model import EOS_ID, write_tiny_chat_model

PROMPTS = ["hello world", "hi", "a much longer prompt that spans several blocks of the cache", "12 34", "x"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    path = write_tiny_chat_model(tmp_path_factory.mktemp("tiny"))
    return load_model(str(path), device="cpu")


def make_engine(tiny: LoadedModel, **kw: object) -> LLMEngine:
    cfg: dict = {"num_blocks": 128, "block_size": 4, "warmup": False, "num_threads": 1}
    cfg.update(kw)
    return LLMEngine(tiny, EngineConfig(**cfg))


def run(engine: LLMEngine, prompts: list[list[int]], params: list[SamplingParams]) -> list[RequestOutput]:
    for i, (p, sp) in enumerate(zip(prompts, params, strict=True)):
        engine.add_request(str(i), p, sp)
    final: dict[str, RequestOutput] = {}
    while engine.has_unfinished():
        for out in engine.step():
            if out.finished:
                final[out.request_id] = out
    assert engine.pop_errors() == {}
    return [final[str(i)] for i in range(len(prompts))]


def ids(tiny: LoadedModel, text: str) -> list[int]:
    return tiny.tokenizer.encode(text)


GREEDY = SamplingParams(temperature=0.0, max_tokens=12, ignore_eos=True)


def test_paged_forward_matches_contiguous(tiny: LoadedModel) -> None:
    """Logits of a mixed batch (a chunked prefill, decodes) over the paged cache equal the contiguous path's."""
    engine = make_engine(tiny)
    runner: ModelRunner = engine.runner
    prompts = [ids(tiny, p) for p in PROMPTS[:3]]
    seqs = []
    for i, p in enumerate(prompts):
        req = Request(str(i), p, GREEDY, 0, 0.0, i, [])
        seq = Sequence(req, 0, list(p), None, None, None)  # type: ignore[arg-type]
        # scatter the blocks so the gathered (non-contiguous) path is used
        engine.blocks.allocate(seq.table, 3)
        engine.blocks.allocate(Sequence(req, 0, [], None, None, None).table, 4)  # type: ignore[arg-type]
        assert engine.blocks.allocate(seq.table, len(p) + 1)
        seqs.append(seq)
    # step 1: prefill all prompts in two chunks each
    for part in (0, 1):
        chunks = []
        for s in seqs:
            half = len(s.token_ids) // 2
            n = half if part == 0 else len(s.token_ids) - half
            chunks.append((s, n))
        chunks.sort(key=lambda c: c[1] > 1)
        logits = runner.forward(chunks, list(range(len(chunks))))
        for s, n in chunks:
            s.num_computed += n
    order = [s for s, _ in chunks]
    with torch.inference_mode():
        for row, s in enumerate(order):
            p = s.token_ids
            ref = tiny.model(torch.tensor([p]), torch.arange(len(p)).unsqueeze(0))[0, -1]
            assert torch.allclose(logits[row], ref, atol=1e-4), (row, (logits[row] - ref).abs().max())
    # step 2: a decode token per sequence (different lengths -> padded, masked gather)
    for s in seqs:
        s.token_ids.append(7)
    with tiny.model.full_precision():  # the reference is float32 throughout
        logits = runner.forward([(s, 1) for s in seqs], [0, 1, 2])
    with torch.inference_mode():
        for row, s in enumerate(seqs):
            p = s.token_ids
            cache = KVCache(tiny.args, 1, len(p))
            ref = tiny.model(torch.tensor([p]), torch.arange(len(p)).unsqueeze(0), cache)[0, -1]
            assert torch.allclose(logits[row], ref, atol=1e-4)


def _prefilled(engine: LLMEngine, tiny: LoadedModel, text: str, rid: str, params: SamplingParams = GREEDY) -> Sequence:
    """A sequence whose prompt is in the cache and which has one generated token pending."""
    p = ids(tiny, text)
    seq = Sequence(Request(rid, p, params, 0, 0.0, 0, []), 0, list(p), None, None, None)  # type: ignore[arg-type]
    assert engine.blocks.allocate(seq.table, len(p) + 4)
    engine.runner.forward([(seq, len(p))], [0])
    seq.num_computed = len(p)
    seq.token_ids.append(7)
    return seq


def test_generated_token_rows_use_the_float16_copies_unless_seeded(tiny: LoadedModel) -> None:
    engine = make_engine(tiny)
    seq = _prefilled(engine, tiny, PROMPTS[2], "a")
    seeded = _prefilled(engine, tiny, PROMPTS[2], "b", SamplingParams(temperature=1.0, seed=3))
    half = engine.runner.forward([(seq, 1)], [0])
    with tiny.model.full_precision():
        full = engine.runner.forward([(seq, 1)], [0])
    assert not torch.equal(half, full)  # the copies are used...
    assert torch.allclose(half, full, atol=2e-2)  # ...and they are close to float32
    batch = engine.runner.forward([(seq, 1), (seeded, 1)], [0, 1])
    assert torch.equal(batch[0], half[0])
    # a seed asks for float32 (the two decodes attend over gathered keys in the batch: not bit-identical)
    assert torch.allclose(batch[1], full[0], atol=1e-5) and not torch.allclose(batch[1], half[0], atol=1e-4)


def test_a_sequence_computes_the_same_whatever_is_batched_with_it(tiny: LoadedModel) -> None:
    engine = make_engine(tiny)
    alone = _prefilled(engine, tiny, PROMPTS[2], "a")
    expected = engine.runner.forward([(alone, 1)], [0])[0]
    batched = _prefilled(engine, tiny, PROMPTS[2], "b")
    others = [_prefilled(engine, tiny, t, str(i)) for i, t in enumerate(PROMPTS[:2])]
    prompt = ids(tiny, PROMPTS[3])
    newcomer = Sequence(Request("c", prompt, GREEDY, 0, 0.0, 0, []), 0, list(prompt), None, None, None)  # type: ignore[arg-type]
    assert engine.blocks.allocate(newcomer.table, len(prompt))
    # two other decodes and a prompt being prefilled, in one packed forward with the sequence
    chunks = [(others[0], 1), (batched, 1), (others[1], 1), (newcomer, len(prompt))]
    logits = engine.runner.forward(chunks, [0, 1, 2, 3])
    assert torch.equal(logits[1], expected)
    with tiny.model.full_precision():  # the prompt's last row is float32 in both cases
        newcomer_alone = tiny.model(torch.tensor([prompt]), torch.arange(len(prompt)).unsqueeze(0))[0, -1]
    assert torch.allclose(logits[3], newcomer_alone, atol=1e-4)


def test_greedy_equals_reference_loop(tiny: LoadedModel) -> None:
    engine = make_engine(tiny)
    prompt = ids(tiny, PROMPTS[2])
    (out,) = run(engine, [prompt], [GREEDY])
    ref = generate_greedy(tiny.model, prompt, 12)
    assert out.outputs[0].token_ids == ref.tokens


def test_batched_equals_one_at_a_time(tiny: LoadedModel) -> None:
    prompts = [ids(tiny, p) for p in PROMPTS]
    alone = [run(make_engine(tiny), [p], [GREEDY])[0].outputs[0].token_ids for p in prompts]
    together = run(make_engine(tiny, max_num_batched_tokens=16), prompts, [GREEDY] * len(prompts))
    assert [o.outputs[0].token_ids for o in together] == alone


def test_prefix_sharing_reuses_blocks(tiny: LoadedModel) -> None:
    engine = make_engine(tiny)
    prompt = ids(tiny, PROMPTS[2])  # 4-token blocks: many full blocks
    first = run(engine, [prompt], [GREEDY])[0]
    assert first.num_cached_tokens == 0
    engine.add_request("again", prompt, GREEDY)
    engine.step()  # admits and prefills: the full blocks before the last token come from the cache
    full_blocks = (len(prompt) - 1) // 4
    assert engine.requests["again"].num_cached_tokens == full_blocks * 4
    while engine.has_unfinished():
        outs = engine.step()
    assert outs[0].outputs[0].token_ids == first.outputs[0].token_ids


def test_n_samples_share_prompt_blocks(tiny: LoadedModel) -> None:
    engine = make_engine(tiny)
    prompt = ids(tiny, PROMPTS[2])
    params = SamplingParams(n=4, temperature=1.0, seed=5, max_tokens=6, ignore_eos=True)
    engine.add_request("r", prompt, params)
    while len(engine.requests["r"].sequences) < 4:
        engine.step()
    seqs = engine.requests["r"].sequences
    shared = len(prompt) // 4
    for s in seqs[1:]:
        assert s.table.blocks[:shared] == seqs[0].table.blocks[:shared]
        assert s.table.blocks[shared] != seqs[0].table.blocks[shared]  # the partial block was copied
    for b in seqs[0].table.blocks[:shared]:
        assert engine.blocks.blocks[b].ref_count == 4
    used_with_sharing = engine.blocks.num_blocks - engine.blocks.num_free
    assert used_with_sharing < 4 * len(seqs[0].table.blocks)
    while engine.has_unfinished():
        engine.step()
    # the samples equal the same samples of separate requests (their own seeded streams)
    n4 = run(make_engine(tiny), [prompt], [params])[0]
    assert len({tuple(o.token_ids) for o in n4.outputs}) > 1


def test_preemption_completes_with_identical_outputs(tiny: LoadedModel) -> None:
    prompts = [ids(tiny, p) for p in PROMPTS]
    params = SamplingParams(temperature=0.0, max_tokens=20, ignore_eos=True)
    roomy = run(make_engine(tiny), prompts, [params] * len(prompts))
    tight = make_engine(tiny, num_blocks=20, max_num_batched_tokens=8)
    preempted = 0
    orig = tight.scheduler._preempt

    def counting(seq: Sequence) -> None:
        nonlocal preempted
        preempted += 1
        orig(seq)

    tight.scheduler._preempt = counting  # type: ignore[method-assign]
    outs = run(tight, prompts, [params] * len(prompts))
    assert preempted > 0
    assert [o.outputs[0].token_ids for o in outs] == [o.outputs[0].token_ids for o in roomy]
    assert tight.blocks.num_free == tight.blocks.num_blocks


def test_abort_frees_blocks(tiny: LoadedModel) -> None:
    engine = make_engine(tiny)
    engine.add_request("a", ids(tiny, PROMPTS[2]), SamplingParams(max_tokens=50, ignore_eos=True))
    engine.add_request("b", ids(tiny, PROMPTS[0]), SamplingParams(max_tokens=3, ignore_eos=True))
    engine.step()
    engine.step()
    assert engine.blocks.num_free < engine.blocks.num_blocks
    engine.abort("a")
    outs = {o.request_id: o for o in engine.step()}
    assert outs["a"].finished and outs["a"].outputs[0].finish_reason == "abort"
    while engine.has_unfinished():
        engine.step()
    assert engine.blocks.num_free == engine.blocks.num_blocks
    assert not engine.scheduler.has_unfinished()


def test_seeded_sampling_reproduces_alone_and_in_batch(tiny: LoadedModel) -> None:
    prompt = ids(tiny, PROMPTS[0])
    params = SamplingParams(temperature=1.0, top_p=0.9, seed=1234, max_tokens=16, ignore_eos=True)
    alone = run(make_engine(tiny), [prompt], [params])[0].outputs[0].token_ids
    others = [SamplingParams(temperature=1.0, seed=s, max_tokens=16) for s in range(7)]
    prompts = [ids(tiny, p) for p in PROMPTS[:4]] * 2
    prompts[3] = prompt
    batch = run(make_engine(tiny), prompts, [*others[:3], params, *others[3:]])
    assert batch[3].outputs[0].token_ids == alone
    again = run(make_engine(tiny), [prompt], [params])[0].outputs[0].token_ids
    assert again == alone


@pytest.mark.parametrize(
    ("prompt_len", "ok"),
    [(1, True), (62, True), (63, True), (64, False), (100, False)],
)
def test_prompt_length_validation(tiny: LoadedModel, prompt_len: int, ok: bool) -> None:
    engine = make_engine(tiny, max_model_len=64)
    prompt = [5] * prompt_len
    if ok:
        engine.add_request("r", prompt, SamplingParams(max_tokens=4))
    else:
        with pytest.raises(ValueError, match="max_model_len"):
            engine.add_request("r", prompt, SamplingParams(max_tokens=4))


@pytest.mark.parametrize(
    ("params", "prompt", "match"),
    [
        (SamplingParams(temperature=-1), [5], "temperature"),
        (SamplingParams(logprobs=21), [5], "logprobs"),
        (SamplingParams(), [], "at least one token"),
        (SamplingParams(), [5, 272], "outside the vocabulary"),
    ],
)
def test_bad_requests_raise(tiny: LoadedModel, params: SamplingParams, prompt: list[int], match: str) -> None:
    engine = make_engine(tiny)
    with pytest.raises(ValueError, match=match):
        engine.add_request("r", prompt, params)
    assert not engine.has_unfinished()


def test_context_full_finishes_with_length(tiny: LoadedModel) -> None:
    engine = make_engine(tiny, max_model_len=16)
    (out,) = run(engine, [[5] * 10], [SamplingParams(max_tokens=None, ignore_eos=True)])
    assert out.outputs[0].finish_reason == "length"
    assert len(out.outputs[0].token_ids) == 6


def test_llm_generate_and_chat(tiny: LoadedModel) -> None:
    llm = LLM(tiny, num_blocks=64, block_size=8, warmup=False, num_threads=1)
    outs = llm.generate(["hello", "hi"], SamplingParams(temperature=0, max_tokens=5, ignore_eos=True))
    assert [len(o.outputs[0].token_ids) for o in outs] == [5, 5]
    single = llm.generate(ids(tiny, "hello"), SamplingParams(temperature=0, max_tokens=5, ignore_eos=True))
    assert single[0].outputs[0].token_ids == outs[0].outputs[0].token_ids
    chat = llm.chat([{"role": "user", "content": "hi <|im_end|>"}], SamplingParams(temperature=0, max_tokens=3))
    prompt = chat[0].prompt_token_ids
    assert prompt[0] == 0 and prompt.count(EOS_ID) == 1  # the typed "<|im_end|>" stayed text
    conversations = [[{"role": "user", "content": "a"}], [{"role": "user", "content": "b"}]]
    two = llm.chat(conversations, SamplingParams(max_tokens=2))
    assert len(two) == 2


def test_tiny_model_helper_writes_loadable_chat_model(tmp_path: Path) -> None:
    path = write_tiny_chat_model(tmp_path)
    loaded = load_model(str(path), device="cpu")
    assert loaded.chat_template is not None
    assert loaded.eos_token_ids == (EOS_ID,)
    assert loaded.vocab.size == loaded.args.vocab_size == 272
    assert PagedKVCache.bytes_per_block(loaded.args, 16, torch.float32) > 0


def test_an_overflowing_float16_step_is_rerun_in_full_precision(tiny: LoadedModel) -> None:
    engine = make_engine(tiny)
    seq = _prefilled(engine, tiny, PROMPTS[0], "a")
    output = tiny.model.output
    assert output.half_weight is not None
    kept = output.half_weight
    try:
        output.half_weight = torch.full_like(kept, float("inf"))  # as if its float16 products overflowed
        logits = engine.runner.forward([(seq, 1)], [0])
    finally:
        output.half_weight = kept
    with tiny.model.full_precision():
        expected = engine.runner.forward([(seq, 1)], [0])
    assert torch.isfinite(logits).all()
    assert torch.equal(logits, expected)
