"""The real default model (SmolLM2-135M-Instruct, GGUF Q4_1): our forward and greedy loop against transformers."""

from __future__ import annotations

import pytest
import torch

from engine.chat_template import ChatTemplate
from engine.generate_greedy import generate_greedy
from engine.gguf_file import GGUFFile
from engine.gguf_tokenizer import GGUFTokenizer
from engine.weights import load_gguf
from tests.engine.gguf_fixtures import smollm2_gguf

pytestmark = pytest.mark.slow

PROMPT = "Write a short story about a robot who learns to paint."


def _prompt_ids(gguf: GGUFFile) -> tuple[GGUFTokenizer, list[int]]:
    tok = GGUFTokenizer.from_gguf(gguf)
    template = ChatTemplate(tok.chat_template or "")
    messages = [{"role": "user", "content": PROMPT}]
    segments = template.render_segments(messages, control_tokens=tok.control_tokens(), add_generation_prompt=True)
    return tok, tok.encode_segments(segments)


def test_smollm2_config_and_coherent_text() -> None:
    gguf = GGUFFile(smollm2_gguf())
    model, args = load_gguf(gguf)
    assert (args.arch, args.dim, args.n_layers, args.n_heads, args.n_kv_heads) == ("llama", 576, 30, 9, 3)
    assert args.tie_embeddings and args.vocab_size == 49152 and args.rope_theta == 100000.0
    tok, ids = _prompt_ids(gguf)
    out = generate_greedy(model, ids, 24, stop_ids={2})
    text = tok.decode(out.tokens, skip_special=True)
    # wrong q/k permutation or RoPE pairing gives fluent-looking but off-topic text; this prompt's answer names it
    assert "robot" in text.lower(), text


def test_smollm2_matches_transformers_gguf_loader() -> None:
    transformers = pytest.importorskip("transformers", reason="transformers not installed: comparison skipped")
    pytest.importorskip("accelerate", reason="transformers needs accelerate to load a GGUF")
    path = smollm2_gguf()
    gguf = GGUFFile(path)
    ours, _ = load_gguf(gguf)
    ref = transformers.AutoModelForCausalLM.from_pretrained(
        str(path.parent), gguf_file=path.name, dtype=torch.float32
    ).eval()
    _, ids = _prompt_ids(gguf)
    x = torch.tensor([ids])
    with torch.inference_mode():
        a = ours(x, torch.arange(len(ids)).unsqueeze(0))
        b = ref(x).logits
        # explicit mask: generate() would otherwise treat the prompt's <|im_end|> (= pad id 2) as padding
        want = ref.generate(
            x, attention_mask=torch.ones_like(x), max_new_tokens=32, do_sample=False, eos_token_id=None, pad_token_id=2
        )
    # 1e-4 measured on this machine (both fp32; summation order differs); 1e-3 leaves room for other BLAS builds
    assert (a - b).abs().max().item() < 1e-3
    got = generate_greedy(ours, ids, 32)
    assert got.tokens == want[0, len(ids) :].tolist()
