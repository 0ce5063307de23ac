"""Load weights into ``Transformer`` from a GGUF file or Hugging Face tensors.

Both sources are first named in one canonical per-layer vocabulary (``q``, ``k``, ``gate`` ...), then packed
into the model's fused parameters (``wqkv`` = q|k|v rows, ``w13`` = gate|up rows).

GGUF specifics:
- dims are listed innermost-first; ``GGUFFile.load`` already returns numpy order (``[out, in]`` for linears).
- ``llama`` files (converted by llama.cpp) store q/k rows permuted for its interleaved RoPE: each head's rows
  ``[x0..x(hd/2-1), y0..]`` are interleaved ``[x0, y0, x1, y1, ...]``. Our RoPE is HF rotate-half, so the
  permutation is undone here. Qwen2/Qwen3 files are not permuted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch
from torch import Tensor

from engine.gguf_file import GGUFFile
from engine.model import Transformer
from engine.model_config import ModelArgs

# Architectures whose GGUF q/k rows llama.cpp permuted (convert_hf_to_gguf.py LlamaModel.permute).
PERMUTED_QK_ARCHS = frozenset({"llama", "mistral"})

# canonical name -> (GGUF name, HF name); "{i}" is the layer index.
_LAYER_NAMES: dict[str, tuple[str, str]] = {
    "q": ("blk.{i}.attn_q.weight", "model.layers.{i}.self_attn.q_proj.weight"),
    "k": ("blk.{i}.attn_k.weight", "model.layers.{i}.self_attn.k_proj.weight"),
    "v": ("blk.{i}.attn_v.weight", "model.layers.{i}.self_attn.v_proj.weight"),
    "q_bias": ("blk.{i}.attn_q.bias", "model.layers.{i}.self_attn.q_proj.bias"),
    "k_bias": ("blk.{i}.attn_k.bias", "model.layers.{i}.self_attn.k_proj.bias"),
    "v_bias": ("blk.{i}.attn_v.bias", "model.layers.{i}.self_attn.v_proj.bias"),
    "o": ("blk.{i}.attn_output.weight", "model.layers.{i}.self_attn.o_proj.weight"),
    "q_norm": ("blk.{i}.attn_q_norm.weight", "model.layers.{i}.self_attn.q_norm.weight"),
    "k_norm": ("blk.{i}.attn_k_norm.weight", "model.layers.{i}.self_attn.k_norm.weight"),
    "gate": ("blk.{i}.ffn_gate.weight", "model.layers.{i}.mlp.gate_proj.weight"),
    "up": ("blk.{i}.ffn_up.weight", "model.layers.{i}.mlp.up_proj.weight"),
    "down": ("blk.{i}.ffn_down.weight", "model.layers.{i}.mlp.down_proj.weight"),
    "attn_norm": ("blk.{i}.attn_norm.weight", "model.layers.{i}.input_layernorm.weight"),
    "ffn_norm": ("blk.{i}.ffn_norm.weight", "model.layers.{i}.post_attention_layernorm.weight"),
}
_GLOBAL_NAMES: dict[str, tuple[str, str]] = {
    "embed": ("token_embd.weight", "model.embed_tokens.weight"),
    "norm": ("output_norm.weight", "model.norm.weight"),
    "output": ("output.weight", "lm_head.weight"),
}
GGUF, HF = 0, 1

Getter = Callable[[str], Tensor]


def unpermute_qk(w: Tensor, n_head: int) -> Tensor:
    """Undo llama.cpp's RoPE row permutation of a q or k weight ``[n_head * hd, ...]`` (or bias ``[n_head * hd]``).

    llama.cpp applied ``reshape(n_head, 2, hd/2, ...).swapaxes(1, 2)``; the inverse views rows as
    ``(n_head, hd/2, 2)`` and swaps back.
    """
    rest = w.shape[1:]
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *rest).transpose(1, 2).reshape(w.shape)


def permute_qk(w: Tensor, n_head: int) -> Tensor:
    """Apply llama.cpp's q/k row permutation (the inverse of ``unpermute_qk``; used by tests)."""
    rest = w.shape[1:]
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *rest).transpose(1, 2).reshape(w.shape)


def build_state_dict(
    args: ModelArgs, get: Getter, has: Callable[[str], bool], source: int, unpermute: bool
) -> dict[str, Tensor]:
    """Gather source tensors into ``Transformer.state_dict()`` names (fused, float32).

    Args:
        args: the model's hyper-parameters.
        get: source name -> tensor (``[out, in]`` for linears).
        has: whether the source has a tensor of that name.
        source: ``GGUF`` or ``HF`` (which column of the name tables to use).
        unpermute: undo llama.cpp's q/k permutation.

    Raises:
        KeyError: a tensor the configuration needs is missing.
    """

    def name(table: Mapping[str, tuple[str, str]], key: str, i: int = 0) -> str:
        return table[key][source].format(i=i)

    sd: dict[str, Tensor] = {}
    embed = get(name(_GLOBAL_NAMES, "embed")).float()
    sd["tok_embeddings.weight"] = embed
    sd["norm.weight"] = get(name(_GLOBAL_NAMES, "norm")).float()
    out_name = name(_GLOBAL_NAMES, "output")
    sd["output.weight"] = embed if args.tie_embeddings or not has(out_name) else get(out_name).float()
    for i in range(args.n_layers):

        def layer(key: str, i: int = i) -> Tensor:
            return get(name(_LAYER_NAMES, key, i)).float()

        q, k, v = layer("q"), layer("k"), layer("v")
        if unpermute:
            q, k = unpermute_qk(q, args.n_heads), unpermute_qk(k, args.n_kv_heads)
        p = f"layers.{i}."
        sd[p + "attention.wqkv.weight"] = torch.cat([q, k, v], dim=0)
        if args.qkv_bias:
            qb, kb, vb = layer("q_bias"), layer("k_bias"), layer("v_bias")
            if unpermute:
                qb, kb = unpermute_qk(qb, args.n_heads), unpermute_qk(kb, args.n_kv_heads)
            sd[p + "attention.wqkv.bias"] = torch.cat([qb, kb, vb], dim=0)
        if args.qk_norm:
            sd[p + "attention.q_norm.weight"] = layer("q_norm")
            sd[p + "attention.k_norm.weight"] = layer("k_norm")
        sd[p + "attention.wo.weight"] = layer("o")
        sd[p + "feed_forward.w13.weight"] = torch.cat([layer("gate"), layer("up")], dim=0)
        sd[p + "feed_forward.w2.weight"] = layer("down")
        sd[p + "attention_norm.weight"] = layer("attn_norm")
        sd[p + "ffn_norm.weight"] = layer("ffn_norm")
    return sd


def model_from_state_dict(args: ModelArgs, sd: dict[str, Tensor]) -> Transformer:
    """Build a ``Transformer`` without random init (meta device) and assign ``sd``'s tensors to it."""
    with torch.device("meta"):
        model = Transformer(args)
    model.load_state_dict(sd, strict=True, assign=True)
    if args.tie_embeddings:  # assign=True made two Parameters; share one so the model stays truly tied
        model.output.weight = model.tok_embeddings.weight
    return model.eval()


def load_gguf(path: str | Path | GGUFFile, threads: int | None = None) -> tuple[Transformer, ModelArgs]:
    """Dequantize a GGUF file's weights to float32 and build the model.

    Args:
        path: a ``.gguf`` path or an opened ``GGUFFile``.
        threads: dequantization threads (default: ``torch.get_num_threads()``).

    Returns:
        ``(model, args)`` with the model in eval mode on CPU.
    """
    gguf = path if isinstance(path, GGUFFile) else GGUFFile(path)
    args = ModelArgs.from_gguf(gguf)
    # Dequantizing is most of the load time and numpy releases the GIL in it: spread it over the CPU threads.
    names = [n for n in gguf.tensors if n != "rope_freqs.weight"]
    with ThreadPoolExecutor(max_workers=max(1, threads or torch.get_num_threads())) as pool:
        arrays = dict(zip(names, pool.map(gguf.load, names), strict=True))
    sd = build_state_dict(
        args,
        get=lambda n: torch.from_numpy(arrays[n]),
        has=lambda n: n in arrays,
        source=GGUF,
        unpermute=args.arch in PERMUTED_QK_ARCHS,
    )
    model = model_from_state_dict(args, sd)
    if "rope_freqs.weight" in gguf.tensors:  # llama3-style scaling, precomputed by llama.cpp
        model.set_rope_freq_factors(torch.from_numpy(gguf.load("rope_freqs.weight")))
    return model, args


def load_hf_state_dict(args: ModelArgs, tensors: Mapping[str, Tensor]) -> Transformer:
    """Build the model from Hugging Face-named tensors (e.g. ``LlamaForCausalLM.state_dict()``)."""
    sd = build_state_dict(args, get=lambda n: tensors[n], has=lambda n: n in tensors, source=HF, unpermute=False)
    return model_from_state_dict(args, sd)


def load_hf_folder(folder: str | Path) -> tuple[Transformer, ModelArgs]:
    """Load a Hugging Face model folder (``config.json`` + ``*.safetensors``) as float32.

    Uses the ``safetensors`` package (a declared dependency).

    Raises:
        ImportError: ``safetensors`` is not installed.
        FileNotFoundError: no ``config.json`` or no ``.safetensors`` files.
    """
    try:
        from safetensors.torch import load_file
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("loading a Hugging Face folder needs the 'safetensors' package") from exc
    folder = Path(folder)
    args = ModelArgs.from_hf_config(json.loads((folder / "config.json").read_text()))
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise FileNotFoundError(f"no .safetensors files in {folder}")
    tensors: dict[str, Tensor] = {}
    for f in files:
        tensors.update(load_file(str(f)))
    return load_hf_state_dict(args, tensors), args
