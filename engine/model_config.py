"""``ModelArgs``: the shape of a LLaMA-family model, read from GGUF metadata or a Hugging Face ``config.json``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.gguf_file import GGUFFile

# Architectures the one model file implements, with what distinguishes them.
_QKV_BIAS_ARCHS = {"qwen2"}
_QK_NORM_ARCHS = {"qwen3"}
SUPPORTED_ARCHITECTURES = {"llama", "mistral", "qwen2", "qwen3"}

# HF ``model_type`` -> our architecture name (GGUF ``general.architecture`` spelling).
_HF_MODEL_TYPES = {"llama": "llama", "mistral": "mistral", "qwen2": "qwen2", "qwen3": "qwen3"}


@dataclass(frozen=True)
class RopeScaling:
    """RoPE frequency scaling (``rope_type`` ``llama3`` or ``linear``); ``None`` on ``ModelArgs`` means none."""

    rope_type: str
    factor: float
    low_freq_factor: float = 1.0
    high_freq_factor: float = 4.0
    original_max_position_embeddings: int = 8192


@dataclass(frozen=True)
class ModelArgs:
    """Hyper-parameters of a LLaMA-family decoder.

    Attributes:
        arch: ``llama``, ``mistral``, ``qwen2`` or ``qwen3``.
        dim: hidden size.
        n_layers: number of decoder blocks.
        n_heads: query heads.
        n_kv_heads: key/value heads (GQA when fewer than ``n_heads``).
        vocab_size: rows of the embedding and of the output projection.
        hidden_dim: SwiGLU inner size.
        head_dim: per-head size (Qwen3 decouples it from ``dim // n_heads``).
        norm_eps: RMSNorm epsilon.
        rope_theta: RoPE base.
        rope_scaling: optional frequency scaling.
        tie_embeddings: output projection shares the embedding matrix.
        qkv_bias: q/k/v projections have biases (Qwen2).
        qk_norm: per-head RMSNorm on q and k before RoPE (Qwen3).
        max_seq_len: the model's trained context length.
    """

    arch: str = "llama"
    dim: int = 576
    n_layers: int = 30
    n_heads: int = 9
    n_kv_heads: int = 3
    vocab_size: int = 49152
    hidden_dim: int = 1536
    head_dim: int = 0  # 0: dim // n_heads
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    rope_scaling: RopeScaling | None = None
    tie_embeddings: bool = True
    qkv_bias: bool = False
    qk_norm: bool = False
    max_seq_len: int = 2048

    def __post_init__(self) -> None:
        if self.head_dim == 0:
            object.__setattr__(self, "head_dim", self.dim // self.n_heads)
        if self.n_heads % self.n_kv_heads:
            raise ValueError(f"n_heads ({self.n_heads}) must be a multiple of n_kv_heads ({self.n_kv_heads})")
        if self.head_dim % 2:
            raise ValueError(f"head_dim must be even for RoPE, got {self.head_dim}")

    # --- constructors -------------------------------------------------------------------------------

    @classmethod
    def from_gguf(cls, gguf: GGUFFile) -> ModelArgs:
        """Read the ``{arch}.*`` metadata of a GGUF file.

        Raises:
            ValueError: the architecture is not one this engine implements.
        """
        arch = gguf.architecture
        if arch not in SUPPORTED_ARCHITECTURES:
            raise ValueError(f"GGUF architecture {arch!r} not supported (supported: {sorted(SUPPORTED_ARCHITECTURES)})")
        n_heads = gguf.get_int(f"{arch}.attention.head_count")
        dim = gguf.get_int(f"{arch}.embedding_length")
        vocab = gguf.get(f"{arch}.vocab_size")
        if vocab is None:  # older files: the embedding's row count is the vocabulary
            vocab = gguf.tensors["token_embd.weight"].shape[0]
        head_dim = gguf.get(f"{arch}.attention.key_length") or dim // n_heads
        scaling = None
        if gguf.get(f"{arch}.rope.scaling.type") == "linear":
            scaling = RopeScaling("linear", gguf.get_float(f"{arch}.rope.scaling.factor"))
        # llama3-style scaling is stored by llama.cpp as a ``rope_freqs.weight`` tensor of per-frequency
        # divisors, not as metadata; ``weights.load_gguf`` applies it to the model's inverse frequencies.
        return cls(
            arch=arch,
            dim=dim,
            n_layers=gguf.get_int(f"{arch}.block_count"),
            n_heads=n_heads,
            n_kv_heads=gguf.get_int(f"{arch}.attention.head_count_kv", n_heads),
            vocab_size=int(vocab),
            hidden_dim=gguf.get_int(f"{arch}.feed_forward_length"),
            head_dim=int(head_dim),
            norm_eps=gguf.get_float(f"{arch}.attention.layer_norm_rms_epsilon", 1e-5),
            rope_theta=gguf.get_float(f"{arch}.rope.freq_base", 10000.0),
            rope_scaling=scaling,
            tie_embeddings="output.weight" not in gguf.tensors,
            qkv_bias="blk.0.attn_q.bias" in gguf.tensors or arch in _QKV_BIAS_ARCHS,
            qk_norm="blk.0.attn_q_norm.weight" in gguf.tensors or arch in _QK_NORM_ARCHS,
            max_seq_len=gguf.get_int(f"{arch}.context_length", 2048),
        )

    @classmethod
    def from_hf_config(cls, config: dict[str, Any]) -> ModelArgs:
        """Read a Hugging Face ``config.json`` dict (``LlamaConfig`` / ``Qwen2Config`` / ``Qwen3Config`` keys).

        Raises:
            ValueError: unknown ``model_type``.
        """
        model_type = config.get("model_type", "llama")
        if model_type not in _HF_MODEL_TYPES:
            raise ValueError(f"model_type {model_type!r} not supported (supported: {sorted(_HF_MODEL_TYPES)})")
        arch = _HF_MODEL_TYPES[model_type]
        n_heads = int(config["num_attention_heads"])
        dim = int(config["hidden_size"])
        scaling = None
        raw = config.get("rope_scaling") or None
        if raw is None and isinstance(config.get("rope_parameters"), dict):  # transformers >= 5 spelling
            raw = config["rope_parameters"] if config["rope_parameters"].get("rope_type") != "default" else None
        if raw:
            rope_type = raw.get("rope_type") or raw.get("type")
            if rope_type not in ("llama3", "linear"):
                raise ValueError(f"rope_scaling type {rope_type!r} not supported")
            scaling = RopeScaling(
                rope_type,
                float(raw["factor"]),
                float(raw.get("low_freq_factor", 1.0)),
                float(raw.get("high_freq_factor", 4.0)),
                int(raw.get("original_max_position_embeddings", 8192)),
            )
        theta = config.get("rope_theta")
        if theta is None and isinstance(config.get("rope_parameters"), dict):
            theta = config["rope_parameters"].get("rope_theta")
        return cls(
            arch=arch,
            dim=dim,
            n_layers=int(config["num_hidden_layers"]),
            n_heads=n_heads,
            n_kv_heads=int(config.get("num_key_value_heads") or n_heads),
            vocab_size=int(config["vocab_size"]),
            hidden_dim=int(config["intermediate_size"]),
            head_dim=int(config.get("head_dim") or dim // n_heads),
            norm_eps=float(config.get("rms_norm_eps", 1e-6)),
            rope_theta=float(theta if theta is not None else 10000.0),
            rope_scaling=scaling,
            tie_embeddings=bool(config.get("tie_word_embeddings", False)),
            qkv_bias=bool(config.get("attention_bias", arch in _QKV_BIAS_ARCHS)),
            qk_norm=arch in _QK_NORM_ARCHS,
            max_seq_len=int(config.get("max_position_embeddings", 2048)),
        )
