"""Tiny random-weight models: our forward against transformers, and cache decode against a full forward."""

from __future__ import annotations

import pytest
import torch

from engine.model import KVCache, Transformer
from engine.model_config import ModelArgs, RopeScaling
from engine.weights import load_hf_state_dict, permute_qk, unpermute_qk

TINY = {
    "vocab_size": 97,
    "hidden_size": 64,
    "intermediate_size": 96,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "max_position_embeddings": 128,
}

CASES = {
    "llama": {"model_type": "llama", "tie_word_embeddings": True},
    "llama_untied": {"model_type": "llama", "tie_word_embeddings": False},
    "llama3_scaling": {
        "model_type": "llama",
        "tie_word_embeddings": False,
        "rope_scaling": {
            "rope_type": "llama3",
            "factor": 8.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": 16,
        },
    },
    "qwen2": {"model_type": "qwen2", "tie_word_embeddings": False},
    "qwen3": {"model_type": "qwen3", "tie_word_embeddings": True, "head_dim": 24},
}


def _hf_model(case: str):  # type: ignore[no-untyped-def]
    transformers = pytest.importorskip("transformers", reason="transformers not installed: reference test skipped")
    cfg = {**TINY, **CASES[case]}
    config_cls = transformers.AutoConfig.for_model(cfg["model_type"])
    config = type(config_cls).from_dict({k: v for k, v in cfg.items() if k != "model_type"})
    config._attn_implementation = "eager"
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(config).float().eval()
    with torch.no_grad():  # biases and norms start at 0 / 1: randomize them so their wiring is tested too
        for name, p in model.named_parameters():
            if name.endswith("bias") or "norm" in name:
                p.add_(torch.randn_like(p) * 0.1)
    return model, cfg


@pytest.mark.parametrize("case", sorted(CASES))
def test_logits_match_transformers(case: str) -> None:
    hf, cfg = _hf_model(case)
    args = ModelArgs.from_hf_config(cfg)
    ours = load_hf_state_dict(args, hf.state_dict())
    tokens = torch.randint(0, cfg["vocab_size"], (2, 40), generator=torch.Generator().manual_seed(1))
    positions = torch.arange(40).expand(2, 40)
    with torch.inference_mode():
        ref = hf(tokens).logits
        got = ours(tokens, positions)
    assert got.shape == ref.shape
    assert (got - ref).abs().max().item() < 1e-4


def _random_model(**overrides: object) -> Transformer:
    kw: dict = dict(arch="llama", dim=64, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=97, hidden_dim=96)
    kw.update(overrides)
    torch.manual_seed(0)
    model = Transformer(ModelArgs(**kw)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.2)
    return model


@pytest.mark.parametrize("overrides", [{}, {"qkv_bias": True, "tie_embeddings": False}, {"qk_norm": True}])
def test_cached_decode_equals_full_forward(overrides: dict) -> None:
    model = _random_model(**overrides)
    tokens = torch.randint(0, 97, (1, 24), generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        full = model(tokens, torch.arange(24).unsqueeze(0))
        cache = KVCache(model.args, batch=1, max_len=32)
        pre = model(tokens[:, :10], torch.arange(10).unsqueeze(0), cache)
        steps = [model(tokens[:, t : t + 1], torch.tensor([[t]]), cache) for t in range(10, 24)]
    got = torch.cat([pre, *steps], dim=1)
    assert (got - full).abs().max().item() < 1e-4


def test_batched_rows_of_different_lengths() -> None:
    # Row 1 is 5 tokens shorter; its decode step must not see row 0's extra slots nor its own stale ones.
    model = _random_model()
    a = torch.randint(0, 97, (1, 12), generator=torch.Generator().manual_seed(3))
    b = torch.randint(0, 97, (1, 7), generator=torch.Generator().manual_seed(4))
    with torch.inference_mode():
        ref_a = model(a, torch.arange(12).unsqueeze(0))[0, -1]
        ref_b = model(b, torch.arange(7).unsqueeze(0))[0, -1]
        cache = KVCache(model.args, batch=2, max_len=16)
        pad = torch.zeros(1, 5, dtype=torch.long)
        tokens = torch.cat([a[:, :11], torch.cat([b[:, :6], pad], dim=1)], dim=0)
        # row 1's padding goes to slots 6..10 but a later step at position 6 overwrites slot 6 and masks the rest
        model(tokens, torch.arange(11).expand(2, 11), cache)
        step = model(torch.stack([a[:, 11], b[:, 6]]), torch.tensor([[11], [6]]), cache)
    assert (step[0, 0] - ref_a).abs().max().item() < 1e-4
    assert (step[1, 0] - ref_b).abs().max().item() < 1e-4


def test_last_only_is_last_row() -> None:
    model = _random_model()
    tokens = torch.randint(0, 97, (1, 9), generator=torch.Generator().manual_seed(5))
    with torch.inference_mode():
        full = model(tokens, torch.arange(9).unsqueeze(0))
        last = model(tokens, torch.arange(9).unsqueeze(0), last_only=True)
    assert last.shape == (1, 1, 97)
    assert (last[0, 0] - full[0, -1]).abs().max().item() < 1e-5  # same math, different matmul shape


def test_unpermute_inverts_llama_cpp_permutation() -> None:
    w = torch.randn(4 * 8, 5)
    assert not torch.equal(permute_qk(w, 4), w)
    assert torch.equal(unpermute_qk(permute_qk(w, 4), 4), w)
    # the permutation interleaves the two halves of each head: row 1 of a permuted head is row hd/2 of the original
    assert torch.equal(permute_qk(w, 4)[1], w[4])


def test_config_rejects_unknown_model_type() -> None:
    with pytest.raises(ValueError, match="not supported"):
        ModelArgs.from_hf_config({**TINY, "model_type": "gpt2"})


def test_config_reads_llama3_scaling() -> None:
    args = ModelArgs.from_hf_config({**TINY, **CASES["llama3_scaling"]})
    assert args.rope_scaling == RopeScaling("llama3", 8.0, 1.0, 4.0, 16)
    assert not args.tie_embeddings and args.n_kv_heads == 2 and args.head_dim == 16


def test_rope_freq_factors_equal_llama3_scaling() -> None:
    # llama.cpp stores llama3 scaling as per-frequency divisors (rope_freqs.weight); applying them to an
    # unscaled model must equal the scaled model.
    from dataclasses import replace

    from engine.model import rope_inv_freq

    scaled = _random_model(rope_scaling=RopeScaling("llama3", 8.0, 1.0, 4.0, 16), max_seq_len=128)
    plain = Transformer(replace(scaled.args, rope_scaling=None)).eval()
    plain.load_state_dict(scaled.state_dict())
    factors = rope_inv_freq(plain.args) / rope_inv_freq(scaled.args)
    assert not torch.allclose(factors, torch.ones_like(factors))
    plain.set_rope_freq_factors(factors)
    tokens = torch.randint(0, 97, (1, 60), generator=torch.Generator().manual_seed(6))
    pos = torch.arange(60).unsqueeze(0)
    with torch.inference_mode():
        assert (plain(tokens, pos) - scaled(tokens, pos)).abs().max().item() < 1e-4
