"""A reference greedy decode loop (prefill, then one token per step through the KV cache).

Used by tests and the quick benchmark; the batched scheduler and sampler replace it in the engine proper.
Run ``python -m engine.generate_greedy MODEL.gguf "prompt"`` for a timing line.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import torch

from engine.model import KVCache, Transformer


@dataclass(frozen=True)
class GreedyResult:
    """Output of ``generate_greedy``.

    Attributes:
        tokens: generated ids (the EOS that stopped it included).
        prefill_s: seconds to the first generated token (prefill + argmax).
        decode_s: seconds for the remaining tokens.
    """

    tokens: list[int]
    prefill_s: float
    decode_s: float

    @property
    def decode_tokens_per_s(self) -> float:
        """Decode throughput after the first token (0 when fewer than two tokens were generated)."""
        n = len(self.tokens) - 1
        return n / self.decode_s if n > 0 and self.decode_s > 0 else 0.0


@torch.inference_mode()
def generate_greedy(
    model: Transformer,
    prompt: Sequence[int],
    max_new_tokens: int,
    stop_ids: Collection[int] = (),
) -> GreedyResult:
    """Greedy-decode up to ``max_new_tokens`` after ``prompt`` (batch 1).

    Args:
        model: the decoder.
        prompt: prompt ids (at least one).
        max_new_tokens: how many tokens at most.
        stop_ids: ids that end generation (kept in the output).

    Raises:
        ValueError: empty prompt.
    """
    if not prompt:
        raise ValueError("prompt must hold at least one token")
    device = model.tok_embeddings.weight.device
    cache = KVCache(model.args, batch=1, max_len=len(prompt) + max_new_tokens, device=device)
    start = time.perf_counter()
    tokens = torch.tensor([list(prompt)], dtype=torch.long, device=device)
    positions = torch.arange(len(prompt), device=device).unsqueeze(0)
    logits = model(tokens, positions, cache, last_only=True)  # [1, 1, V]
    out: list[int] = []
    # Preallocated step inputs: the loop only writes into them (no per-step tensor construction).
    token = torch.empty(1, 1, dtype=torch.long, device=device)
    pos = torch.empty(1, 1, dtype=torch.long, device=device)
    prefill_s = 0.0
    for i in range(max_new_tokens):
        next_id = int(logits[0, -1].argmax())
        if i == 0:
            prefill_s = time.perf_counter() - start
            start = time.perf_counter()
        out.append(next_id)
        if next_id in stop_ids or i == max_new_tokens - 1:
            break
        token.fill_(next_id)
        pos.fill_(len(prompt) + i)
        logits = model(token, pos, cache)
    return GreedyResult(out, prefill_s, time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    """Load a GGUF, greedy-decode a chat prompt, print the text and timings."""
    from engine.chat_template import ChatTemplate
    from engine.gguf_file import GGUFFile
    from engine.gguf_tokenizer import GGUFTokenizer
    from engine.weights import load_gguf

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model", help="path to a .gguf file")
    parser.add_argument("prompt", nargs="?", default="Write a haiku about the sea.")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    gguf = GGUFFile(args.model)
    t_open = time.perf_counter() - t0
    tok = GGUFTokenizer.from_gguf(gguf)
    model, _ = load_gguf(gguf)
    t_load = time.perf_counter() - t0
    template = ChatTemplate(tok.chat_template or "", tok.token_string(tok.bos_id), tok.token_string(tok.eos_id))
    segments = template.render_segments(
        [{"role": "user", "content": args.prompt}], control_tokens=tok.control_tokens(), add_generation_prompt=True
    )
    ids = tok.encode_segments(segments)
    stop = {tok.eos_id} if tok.eos_id is not None else set()
    res = generate_greedy(model, ids, args.max_new_tokens, stop)
    print(tok.decode(res.tokens, skip_special=True))
    print(
        f"open {t_open:.2f}s, load {t_load:.2f}s, prompt {len(ids)} tokens, "
        f"first token {res.prefill_s * 1000:.0f} ms, decode {res.decode_tokens_per_s:.1f} tok/s "
        f"over {len(res.tokens) - 1} tokens, {torch.get_num_threads()} threads"
    )


if __name__ == "__main__":
    main()
