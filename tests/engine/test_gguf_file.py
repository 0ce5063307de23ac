"""GGUFFile header parsing and dequantization, and GGUF weight loading, on small files written here."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import gguf
import numpy as np
import pytest
import torch

from engine.gguf_file import GGUFError, GGUFFile
from engine.model_config import ModelArgs
from engine.weights import load_gguf, load_hf_folder, load_hf_state_dict
from tests.engine.gguf_fixtures import random_hf_llama, write_llama_gguf

Q = gguf.GGMLQuantizationType


def _write(path: Path, tensors: dict[str, tuple[np.ndarray, Q]]) -> None:
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_uint32("u32", 7)
    w.add_int32("i32", -3)
    w.add_float32("f32", 0.5)
    w.add_bool("flag", True)
    w.add_string("name", "héllo")
    w.add_array("ints", [1, 2, 3])
    w.add_array("strs", ["a", "", "ü"])
    for name, (a, qtype) in tensors.items():
        if qtype in (Q.F32, Q.F16):
            w.add_tensor(name, a.astype(np.float16 if qtype == Q.F16 else np.float32))
        else:
            w.add_tensor(name, gguf.quants.quantize(a, qtype), raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def test_metadata_types(tmp_path: Path) -> None:
    _write(tmp_path / "m.gguf", {})
    f = GGUFFile(tmp_path / "m.gguf")
    assert f.architecture == "llama"
    assert f.get_int("u32") == 7 and f.get_int("i32") == -3
    assert f.get_float("f32") == 0.5 and f.get_bool("flag") is True
    assert f.get_str("name") == "héllo"
    assert f.get_list("ints") == [1, 2, 3] and f.get_list("strs") == ["a", "", "ü"]
    assert f.get_int("missing", 5) == 5
    with pytest.raises(GGUFError, match="missing"):
        f.get_int("missing")
    with pytest.raises(GGUFError, match="expected"):
        f.get_int("name")
    with pytest.raises(GGUFError, match="expected"):
        f.get_int("flag")  # a bool is not an int here


@pytest.mark.parametrize("qtype", [Q.F32, Q.F16, Q.Q8_0, Q.Q4_0, Q.Q4_1])
def test_dequantize_matches_gguf_reference(tmp_path: Path, qtype: Q) -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 5, 64)).astype(np.float32)
    _write(tmp_path / "t.gguf", {"x": (a, qtype)})
    f = GGUFFile(tmp_path / "t.gguf")
    assert f.tensors["x"].shape == (3, 5, 64)  # numpy order although GGUF lists (64, 5, 3)
    got = f.load("x")
    ref = gguf.GGUFReader(tmp_path / "t.gguf").tensors[0]
    want = gguf.quants.dequantize(ref.data, ref.tensor_type).reshape(3, 5, 64)
    assert got.dtype == np.float32 and np.array_equal(got, want)
    tol = {Q.F32: 0, Q.F16: 1e-2, Q.Q8_0: 0.05, Q.Q4_0: 0.6, Q.Q4_1: 0.6}[qtype]
    assert np.abs(got - a).max() <= tol


def test_not_gguf(tmp_path: Path) -> None:
    (tmp_path / "x.gguf").write_bytes(b"NOPE" + bytes(32))
    with pytest.raises(GGUFError, match="not a GGUF"):
        GGUFFile(tmp_path / "x.gguf")


CFG = {
    "model_type": "llama",
    "vocab_size": 80,
    "hidden_size": 64,
    "intermediate_size": 96,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "max_position_embeddings": 64,
    "tie_word_embeddings": False,
}


def test_gguf_llama_weights_are_unpermuted(tmp_path: Path) -> None:
    # The GGUF stores q/k permuted like llama.cpp does; loading must give the same logits as the HF tensors.
    sd = random_hf_llama(CFG)
    write_llama_gguf(tmp_path / "tiny.gguf", sd, CFG, Q.F32)
    ours, args = load_gguf(tmp_path / "tiny.gguf")
    assert args.norm_eps == pytest.approx(1e-5)  # stored as float32 in the file
    assert replace(args, norm_eps=1e-5) == ModelArgs.from_hf_config(CFG)
    ref = load_hf_state_dict(args, {k: torch.from_numpy(v) for k, v in sd.items()})
    tokens = torch.arange(30).unsqueeze(0) % 80
    pos = torch.arange(30).unsqueeze(0)
    with torch.inference_mode():
        diff = (ours(tokens, pos) - ref(tokens, pos)).abs().max().item()
    assert diff < 1e-4


def test_gguf_quantized_weights_load(tmp_path: Path) -> None:
    sd = random_hf_llama(CFG)
    write_llama_gguf(tmp_path / "q.gguf", sd, CFG, Q.Q8_0)
    ours, args = load_gguf(tmp_path / "q.gguf")
    ref = load_hf_state_dict(args, {k: torch.from_numpy(v) for k, v in sd.items()})
    tokens = torch.arange(20).unsqueeze(0) % 80
    pos = torch.arange(20).unsqueeze(0)
    with torch.inference_mode():
        a, b = ours(tokens, pos), ref(tokens, pos)
    # Q8_0 is close but not exact: same argmax almost everywhere, small logit error
    assert (a.argmax(-1) == b.argmax(-1)).float().mean() > 0.9
    assert (a - b).abs().max().item() < 0.5


def test_gguf_qwen2_is_not_unpermuted(tmp_path: Path) -> None:
    cfg = {**CFG, "model_type": "qwen2"}
    sd = random_hf_llama(cfg)
    rng = np.random.default_rng(1)
    for i in range(cfg["num_hidden_layers"]):
        for proj, n in (("q", 64), ("k", 32), ("v", 32)):
            sd[f"model.layers.{i}.self_attn.{proj}_proj.bias"] = rng.standard_normal(n).astype(np.float32)
    write_llama_gguf(tmp_path / "qwen.gguf", sd, cfg, Q.F32, arch="qwen2")
    ours, args = load_gguf(tmp_path / "qwen.gguf")
    assert args.arch == "qwen2" and args.qkv_bias
    ref = load_hf_state_dict(args, {k: torch.from_numpy(v) for k, v in sd.items()})
    tokens = torch.arange(30).unsqueeze(0) % 80
    pos = torch.arange(30).unsqueeze(0)
    with torch.inference_mode():
        assert (ours(tokens, pos) - ref(tokens, pos)).abs().max().item() < 1e-4


def test_hf_folder(tmp_path: Path) -> None:
    safetensors_numpy = pytest.importorskip("safetensors.numpy", reason="safetensors not installed")
    sd = random_hf_llama(CFG)
    safetensors_numpy.save_file(sd, str(tmp_path / "model.safetensors"))
    (tmp_path / "config.json").write_text(json.dumps(CFG))
    ours, args = load_hf_folder(tmp_path)
    ref = load_hf_state_dict(args, {k: torch.from_numpy(v) for k, v in sd.items()})
    tokens = torch.arange(10).unsqueeze(0)
    with torch.inference_mode():
        assert torch.equal(ours(tokens, tokens), ref(tokens, tokens))
