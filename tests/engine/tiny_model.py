"""A tiny random-weight chat model in one GGUF file, for engine and API tests (loads in milliseconds).

The tokenizer is a byte-level BPE (every byte is a token, plus a few merges) with ChatML control tokens and a
ChatML chat template, so prompts, chat rendering, stop strings and constraints all behave as with a real model;
the weights are random, so the text is noise.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np

from tests.engine.gguf_fixtures import byte_symbols

TINY_CHAT_FILE = "tiny-chat.gguf"

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# ids: 0 <|im_start|>, 1 <|im_end|> (EOS), 2.. the 256 bytes, then merged tokens.
MERGES = ["h e", "he l", "hel l", "hell o", "1 2", "Ġ h", '" :', "Ġ Ġ"]
MERGED = ["he", "hel", "hell", "hello", "12", "Ġh", '":', "ĠĠ"]
EOS_ID = 1
# Embedding rows beyond the tokenizer's ids, as real models pad their vocabulary (ids without bytes).
PADDED_VOCAB = 272


def tiny_tokens() -> list[str]:
    """The tokenizer's token strings (GPT-2 byte alphabet); ids are positions."""
    return ["<|im_start|>", "<|im_end|>", *byte_symbols(), *MERGED]


def write_tiny_chat_model(directory: Path, seed: int = 0, n_layers: int = 2, dim: int = 64) -> Path:
    """Write a tiny random llama GGUF with a ChatML tokenizer and chat template into ``directory``.

    Args:
        directory: an existing folder.
        seed: weight seed (the same seed writes the same file).
        n_layers: decoder layers.
        dim: hidden size (4 query heads, 2 kv heads).

    Returns:
        the path of the written ``.gguf`` (load it with ``engine.loader.load_model(str(path))``).
    """
    path = Path(directory) / TINY_CHAT_FILE
    tokens = tiny_tokens()
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_string("tokenizer.ggml.pre", "smollm")
    w.add_array("tokenizer.ggml.tokens", tokens)
    w.add_array("tokenizer.ggml.token_type", [3, 3] + [1] * (len(tokens) - 2))
    w.add_array("tokenizer.ggml.merges", MERGES)
    w.add_uint32("tokenizer.ggml.bos_token_id", 0)
    w.add_uint32("tokenizer.ggml.eos_token_id", EOS_ID)
    w.add_bool("tokenizer.ggml.add_bos_token", False)
    w.add_string("tokenizer.chat_template", CHATML_TEMPLATE)

    hidden, n_heads, n_kv = dim * 3 // 2, 4, 2
    kv_dim = dim // n_heads * n_kv
    w.add_uint32("llama.block_count", n_layers)
    w.add_uint32("llama.context_length", 256)
    w.add_uint32("llama.embedding_length", dim)
    w.add_uint32("llama.feed_forward_length", hidden)
    w.add_uint32("llama.attention.head_count", n_heads)
    w.add_uint32("llama.attention.head_count_kv", n_kv)
    w.add_float32("llama.rope.freq_base", 10000.0)
    w.add_float32("llama.attention.layer_norm_rms_epsilon", 1e-5)
    w.add_uint32("llama.vocab_size", PADDED_VOCAB)

    rng = np.random.default_rng(seed)

    def put(name: str, *shape: int, scale: float = 0.3, offset: float = 0.0) -> None:
        w.add_tensor(name, (offset + rng.standard_normal(shape) * scale).astype(np.float32))

    put("token_embd.weight", PADDED_VOCAB, dim, scale=1.0)
    put("output_norm.weight", dim, scale=0.1, offset=1.0)
    put("output.weight", PADDED_VOCAB, dim)
    for i in range(n_layers):
        put(f"blk.{i}.attn_q.weight", dim, dim)
        put(f"blk.{i}.attn_k.weight", kv_dim, dim)
        put(f"blk.{i}.attn_v.weight", kv_dim, dim)
        put(f"blk.{i}.attn_output.weight", dim, dim)
        put(f"blk.{i}.ffn_gate.weight", hidden, dim)
        put(f"blk.{i}.ffn_up.weight", hidden, dim)
        put(f"blk.{i}.ffn_down.weight", dim, hidden)
        put(f"blk.{i}.attn_norm.weight", dim, scale=0.1, offset=1.0)
        put(f"blk.{i}.ffn_norm.weight", dim, scale=0.1, offset=1.0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path
