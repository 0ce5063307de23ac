"""Sampler: greedy/argmax equivalences, filters, seeds independent of the batch, logprobs, distribution."""

from __future__ import annotations

import math
import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.logits_processors import check_params
from engine.sampler import NO_VALID_TOKEN, Sampler, SamplingRow, new_generator
from engine.sampling_params import SamplingParams

V = 64


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """On a loaded 2-core machine, tiny torch ops with 2 threads can wait ~20 ms each on the OpenMP pool."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


EOS = 3
NEG_INF = float("-inf")


def row(params: SamplingParams, index: int = 0, prompt: list[int] | None = None, out: list[int] | None = None):
    return SamplingRow(params, new_generator(params.seed, index), prompt or [], out or [])


def sample(logits: torch.Tensor, rows: list[SamplingRow], eos: tuple[int, ...] = (EOS,)):
    return Sampler(logits.shape[-1], eos)(logits.clone(), rows)


@st.composite
def logit_rows(draw: st.DrawFn, batch: int = 1, vocab: int = V) -> torch.Tensor:
    """Random logits with some masked (-inf) entries; every row keeps at least one finite logit."""
    seed = draw(st.integers(0, 2**31 - 1))
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(batch, vocab, generator=gen) * draw(st.sampled_from([0.5, 2.0, 8.0]))
    mask = torch.rand(batch, vocab, generator=gen) < draw(st.sampled_from([0.0, 0.5, 0.95]))
    mask[:, int(torch.randint(vocab, (1,), generator=gen))] = False
    return logits.masked_fill(mask, NEG_INF)


# ---- greedy and its equivalences -----------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(logit_rows(batch=4))
def test_greedy_is_argmax(logits: torch.Tensor) -> None:
    out = sample(logits, [row(SamplingParams(temperature=0.0)) for _ in range(4)])
    assert out.token_ids == logits.argmax(dim=-1).tolist()
    assert out.logprobs == [None] * 4


def test_greedy_ties_pick_lowest_id() -> None:
    logits = torch.full((2, 8), NEG_INF)
    logits[0, [5, 2, 7]] = 1.0
    logits[1, [6, 4]] = 2.0
    assert sample(logits, [row(SamplingParams(temperature=0.0))] * 2).token_ids == [2, 4]
    # The same through the slow path (logprobs asked).
    assert sample(logits, [row(SamplingParams(temperature=0.0, logprobs=1))] * 2).token_ids == [2, 4]


@settings(max_examples=50, deadline=None)
@given(logit_rows(batch=3), st.integers(0, 1000), st.sampled_from([0.3, 1.0, 3.0]))
def test_top_k_1_and_tiny_top_p_equal_greedy(logits: torch.Tensor, seed: int, temperature: float) -> None:
    greedy = logits.argmax(dim=-1).tolist()
    top_k = [row(SamplingParams(temperature=temperature, top_k=1, seed=seed), i) for i in range(3)]
    top_p = [row(SamplingParams(temperature=temperature, top_p=1e-6), i) for i in range(3)]
    min_p = [row(SamplingParams(temperature=temperature, min_p=1.0)) for _ in range(3)]
    assert sample(logits, top_k).token_ids == greedy
    assert sample(logits, top_p).token_ids == greedy
    assert sample(logits, min_p).token_ids == greedy


# ---- filters: the drawn token is always inside the reference's kept set --------------------------------------


def kept_reference(logits: torch.Tensor, p: SamplingParams) -> set[int]:
    """Straightforward per-row top-k -> top-p -> min-p (keeping ties at the boundary)."""
    scaled = [x / p.temperature for x in logits.tolist()]
    alive = [i for i, x in enumerate(scaled) if x != NEG_INF]
    order = sorted(alive, key=lambda i: -scaled[i])
    if 0 < p.top_k < len(scaled):
        kth = scaled[order[min(p.top_k, len(order)) - 1]]
        order = [i for i in order if scaled[i] >= kth]
    if p.top_p < 1.0:
        z = sum(math.exp(scaled[i] - scaled[order[0]]) for i in order)
        probs = {i: math.exp(scaled[i] - scaled[order[0]]) / z for i in order}
        mass, floor = 0.0, probs[order[0]]
        for i in order:
            floor = probs[i]
            mass += probs[i]
            if mass >= p.top_p - 1e-6:
                break
        order = [i for i in order if probs[i] >= floor * (1 - 1e-5)]
    if p.min_p > 0.0:
        top = scaled[order[0]]
        order = [i for i in order if math.exp(scaled[i] - top) >= p.min_p * (1 - 1e-5)]
    return set(order)


@settings(max_examples=60, deadline=None)
@given(
    logit_rows(batch=1),
    st.sampled_from([0, 1, 3, 10]),
    st.sampled_from([1.0, 0.9, 0.5, 0.1]),
    st.sampled_from([0.0, 0.05, 0.5]),
    st.sampled_from([0.5, 1.0, 2.0]),
    st.integers(0, 10_000),
)
def test_drawn_tokens_stay_inside_filters(
    logits: torch.Tensor, top_k: int, top_p: float, min_p: float, temperature: float, seed: int
) -> None:
    params = SamplingParams(temperature=temperature, top_k=top_k, top_p=top_p, min_p=min_p, seed=seed)
    allowed = kept_reference(logits[0], params)
    rows = [row(params, i) for i in range(16)]
    drawn = sample(logits.expand(16, V), rows).token_ids
    assert set(drawn) <= allowed


def test_filters_table() -> None:
    # probabilities 0.5, 0.25, 0.125, 0.125 (logits are log-probs); token 4 is masked.
    logits = torch.tensor([[math.log(0.5), math.log(0.25), math.log(0.125), math.log(0.125), NEG_INF]])
    cases = [
        (SamplingParams(top_k=2), {0, 1}),
        (SamplingParams(top_p=0.5), {0}),
        (SamplingParams(top_p=0.6), {0, 1}),
        (SamplingParams(top_p=0.8), {0, 1, 2, 3}),  # tokens tied with the last needed one are kept
        (SamplingParams(min_p=0.45), {0, 1}),
        (SamplingParams(min_p=0.51), {0}),
        (SamplingParams(min_p=0.2), {0, 1, 2, 3}),
        (SamplingParams(top_k=3, top_p=0.99), {0, 1, 2, 3}),  # ties with the k-th are kept
        (SamplingParams(), {0, 1, 2, 3}),
    ]
    for params, expected in cases:
        drawn = set(sample(logits.expand(400, 5), [row(params)] * 400).token_ids)
        assert drawn == expected, params


# ---- penalties, bias, min_tokens against a per-row reference -------------------------------------------------


def processed_reference(logits: list[float], p: SamplingParams, prompt: list[int], out: list[int]) -> list[float]:
    x = list(logits)
    for t, b in (p.logit_bias or {}).items():
        x[t] += b
    for t in set(prompt) | set(out):
        if p.repetition_penalty != 1.0:
            x[t] = x[t] / p.repetition_penalty if x[t] > 0 else x[t] * p.repetition_penalty
    for t in set(out):
        x[t] -= p.frequency_penalty * out.count(t) + p.presence_penalty
    if len(out) < p.min_tokens:
        blocked = set(p.stop_token_ids) | (set() if p.ignore_eos else {EOS})
        trial = [NEG_INF if i in blocked else v for i, v in enumerate(x)]
        if any(v != NEG_INF for v in trial):
            x = trial
    return x


params_strategy = st.builds(
    SamplingParams,
    temperature=st.just(0.0),
    repetition_penalty=st.sampled_from([1.0, 0.7, 1.3, 2.0]),
    frequency_penalty=st.sampled_from([0.0, -0.5, 1.5]),
    presence_penalty=st.sampled_from([0.0, 1.0, -2.0]),
    logit_bias=st.one_of(st.none(), st.dictionaries(st.integers(0, V - 1), st.floats(-100, 100), max_size=4)),
    min_tokens=st.sampled_from([0, 3]),
    stop_token_ids=st.lists(st.integers(0, V - 1), max_size=2),
    ignore_eos=st.booleans(),
)


@settings(max_examples=80, deadline=None)
@given(
    logit_rows(batch=4),
    st.lists(params_strategy, min_size=4, max_size=4),
    st.lists(st.lists(st.integers(0, V - 1), max_size=12), min_size=8, max_size=8),
)
def test_processing_matches_per_row_reference(
    logits: torch.Tensor, params: list[SamplingParams], histories: list[list[int]]
) -> None:
    rows = [row(p, 0, histories[i], histories[i + 4][:5]) for i, p in enumerate(params)]
    sampler = Sampler(V, (EOS,))
    work = logits.clone()
    sampler._process(work, rows)
    for i, r in enumerate(rows):
        expected = processed_reference(logits[i].tolist(), r.params, list(r.prompt_ids), list(r.output_ids))
        assert torch.allclose(work[i], torch.tensor(expected), rtol=1e-5, atol=1e-5, equal_nan=False), i
    # Greedy picks the argmax of the processed logits.
    assert sampler(logits.clone(), rows).token_ids == work.argmax(dim=-1).tolist()


def test_min_tokens_blocks_eos_and_stop_ids_unless_only_they_are_allowed() -> None:
    logits = torch.zeros(3, 8)
    logits[:, EOS] = 10.0
    logits[:, 5] = 9.0
    logits[2, :] = NEG_INF
    logits[2, EOS] = 0.0  # a complete constraint: only EOS allowed
    params = SamplingParams(temperature=0.0, min_tokens=2, stop_token_ids=[5])
    rows = [row(params, out=[1]), row(params, out=[1, 1]), row(params, out=[1])]
    assert sample(logits, rows).token_ids == [0, EOS, EOS]


def test_rows_without_any_allowed_token_get_no_valid_token() -> None:
    logits = torch.zeros(3, 8)
    logits[1] = NEG_INF
    for params in (SamplingParams(temperature=0.0), SamplingParams(temperature=1.0, top_p=0.5)):
        out = sample(logits, [row(params)] * 3)
        assert out.token_ids[1] == NO_VALID_TOKEN
        assert NO_VALID_TOKEN not in (out.token_ids[0], out.token_ids[2])


def test_check_params_names_the_bad_token() -> None:
    check_params(SamplingParams(logit_bias={0: 1.0, V - 1: -1.0}, stop_token_ids=[V - 1]), V)
    with pytest.raises(ValueError, match="logit_bias token 64"):
        check_params(SamplingParams(logit_bias={V: 1.0}), V)
    with pytest.raises(ValueError, match="logit_bias token -1"):
        check_params(SamplingParams(logit_bias={-1: 1.0}), V)
    with pytest.raises(ValueError, match="stop_token_ids entry 99"):
        check_params(SamplingParams(stop_token_ids=[99]), V)


# ---- logprobs ------------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(logit_rows(batch=2), st.sampled_from([0, 1, 5, 20]), st.sampled_from([0.0, 0.7]))
def test_logprobs_are_raw_log_softmax_with_sorted_top(logits: torch.Tensor, k: int, temperature: float) -> None:
    # Penalties and bias must not change the reported (raw) log-probabilities.
    params = SamplingParams(temperature=temperature, logprobs=k, presence_penalty=1.0, logit_bias={0: 5.0}, seed=1)
    out = sample(logits, [row(params, out=[1, 2]), row(SamplingParams(temperature=0.0))])
    reference = logits[0].log_softmax(dim=-1)
    entry = out.logprobs[0]
    assert entry is not None and out.logprobs[1] is None
    assert entry.token_id == out.token_ids[0]
    assert entry.logprob == pytest.approx(float(reference[entry.token_id]), abs=1e-5)
    finite = int(torch.isfinite(reference).sum())
    assert len(entry.top) == min(k, V)
    values = [v for _, v in entry.top]
    assert values == sorted(values, reverse=True)
    top_reference = sorted(reference.tolist(), reverse=True)[:k]
    assert values == pytest.approx(top_reference, abs=1e-5)
    for token, value in entry.top[:finite]:
        assert value == pytest.approx(float(reference[token]), abs=1e-5)
    assert math.fsum(math.exp(v) for v in reference.tolist()) == pytest.approx(1.0, abs=1e-4)


def test_sampled_token_logprob_reported_outside_top_k() -> None:
    logits = torch.tensor([[5.0, 4.0, 0.0, -1.0]])
    params = SamplingParams(temperature=0.0, logprobs=1, logit_bias={3: 50.0})
    entry = sample(logits, [row(params)]).logprobs[0]
    assert entry is not None and entry.token_id == 3
    assert entry.logprob == pytest.approx(float(logits[0].log_softmax(-1)[3]))
    assert [t for t, _ in entry.top] == [0]


# ---- seeds ---------------------------------------------------------------------------------------------------


def test_new_generator() -> None:
    assert new_generator(None, 0) is None
    a, b, c = new_generator(7, 0), new_generator(7, 0), new_generator(7, 1)
    assert a is not None and b is not None and c is not None
    draw = [torch.rand(4, generator=g).tolist() for g in (a, b, c)]
    assert draw[0] == draw[1] and draw[0] != draw[2]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32), st.randoms(use_true_random=False), logit_rows(batch=1, vocab=256))
def test_seeded_rows_ignore_the_rest_of_the_batch(seed: int, rnd: random.Random, logits: torch.Tensor) -> None:
    vocab = logits.shape[-1]
    params = SamplingParams(temperature=0.9, top_p=0.95, top_k=20, seed=seed)
    flat = SamplingParams(temperature=1.5, top_p=0.9, seed=seed)  # a nucleus beyond the top-k candidates
    steps = 6
    generators = [new_generator(seed, 0), new_generator(seed, 0)]
    alone = []
    for _ in range(steps):
        out = [
            Sampler(vocab, (EOS,))(logits.clone(), [SamplingRow(p, g, [], [])])
            for p, g in zip((params, flat), generators, strict=True)
        ]
        alone.append([o.token_ids[0] for o in out])
    others = [
        SamplingParams(temperature=1.0),
        SamplingParams(temperature=0.0),
        SamplingParams(temperature=0.5, seed=seed + 1),
        SamplingParams(temperature=1.3, min_p=0.1, presence_penalty=1.0),
        SamplingParams(temperature=0.7, top_p=0.5, logprobs=3),
        SamplingParams(temperature=0.9, top_p=0.95, top_k=20, seed=seed),  # same seed, other sample index
        SamplingParams(temperature=2.0, top_k=100),  # widens the candidate count for the batch
    ]
    batch_generators = [new_generator(seed, 0), new_generator(seed, 0)]
    other_rows = [SamplingRow(p, new_generator(p.seed, 1), [1, 2], [3]) for p in others]
    together = []
    for _ in range(steps):
        mine = [SamplingRow(p, g, [], []) for p, g in zip((params, flat), batch_generators, strict=True)]
        rows = [*mine, *other_rows]
        order = list(range(len(rows)))
        rnd.shuffle(order)
        batch_logits = torch.randn(len(rows), vocab)
        batch_logits[order.index(0)] = logits[0]
        batch_logits[order.index(1)] = logits[0]
        out = Sampler(vocab, (EOS,))(batch_logits, [rows[i] for i in order])
        together.append([out.token_ids[order.index(0)], out.token_ids[order.index(1)]])
    assert together == alone


# ---- distribution --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seeded", [False, True])
def test_frequencies_match_softmax(seeded: bool) -> None:
    logits = torch.tensor([[1.0, 0.0, -1.0, 2.0, NEG_INF, 0.5]])
    temperature = 0.8
    expected = (logits / temperature).softmax(dim=-1)[0].tolist()
    n = 4000
    torch.manual_seed(0)
    params = SamplingParams(temperature=temperature, seed=123 if seeded else None)
    rows = [row(params, i) for i in range(n)]
    drawn = sample(logits.expand(n, 6), rows).token_ids
    for token, p in enumerate(expected):
        freq = drawn.count(token) / n
        # 5 standard deviations of a binomial proportion.
        assert abs(freq - p) <= 5 * math.sqrt(p * (1 - p) / n) + 1e-9, (token, freq, p)
    assert drawn.count(4) == 0


def test_padded_vocabulary_columns_are_never_chosen() -> None:
    logits = torch.zeros(2, 8)
    logits[:, 6] = 100.0  # a padded column (the model's matrix is wider than its vocabulary)
    sampler = Sampler(5, (EOS,))
    assert sampler(logits.clone(), [row(SamplingParams(temperature=0.0))] * 2).token_ids == [0, 0]
    drawn = sampler(logits[:1].expand(200, 8).clone(), [row(SamplingParams(temperature=1.0))] * 200).token_ids
    assert set(drawn) <= set(range(5))
