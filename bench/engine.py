"""Engine throughput: decode tokens/s at several batch sizes, with and without a JSON-schema constraint.

    python -m bench.engine                          # SmolLM2 on this machine (CPU: fp32)
    python -m bench.engine --batch 1 8 --tokens 64
    python -m bench.engine --dummy-weights llama3-8b --device cuda --batch 1 8 64

``--dummy-weights SHAPE`` builds a model of that shape with random weights and a byte vocabulary (no files), for
GPU runs. Decode tokens/s counts tokens after each sequence's first one, over the time after the prefill step.
Each row is the fastest of ``--repeat`` runs, with the constrained and unconstrained runs interleaved so that a
load change on a shared machine hits both alike; "vs unconstrained" is the ratio of the two. Prints a markdown
table and the load average before and after. Run it while nothing else loads the machine, or say so when quoting
numbers.
"""

from __future__ import annotations

# OpenMP's default wait policy is kept, as the engine runs under it: with OMP_WAIT_POLICY=PASSIVE every one of a
# decode step's ~1,000 small ops wakes sleeping threads, which cost SmolLM2 ~15 ms of a ~50 ms step here.
import argparse
import os
import time
from pathlib import Path
from typing import Any

import torch

import constrained
from engine.config import EngineConfig
from engine.llm import chat_prompt_ids
from engine.llm_engine import LLMEngine
from engine.loader import LoadedModel, load_model
from engine.model import RMSNorm, Transformer
from engine.model_config import ModelArgs
from engine.sampling_params import SamplingParams

SHAPES = {
    "smollm2-135m": ModelArgs(dim=576, n_layers=30, n_heads=9, n_kv_heads=3, vocab_size=49152, hidden_dim=1536),
    "llama3-8b": ModelArgs(
        dim=4096,
        n_layers=32,
        n_heads=32,
        n_kv_heads=8,
        vocab_size=128256,
        hidden_dim=14336,
        rope_theta=500000.0,
        tie_embeddings=False,
        max_seq_len=8192,
    ),
    "qwen2.5-0.5b": ModelArgs(
        arch="qwen2",
        dim=896,
        n_layers=24,
        n_heads=14,
        n_kv_heads=2,
        vocab_size=151936,
        hidden_dim=4864,
        qkv_bias=True,
        rope_theta=1000000.0,
    ),
}

SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "city": {"type": "string"}},
        "required": ["name", "age", "city"],
    },
}
QUESTION = "List ten people as JSON objects with a name, an age and a city."


def dummy_model(shape: str, device: torch.device) -> LoadedModel:
    """A random-weight model of a named shape with a byte vocabulary (EOS = the last id)."""
    args = SHAPES[shape]
    dtype = torch.float32 if device.type == "cpu" else torch.bfloat16
    with torch.device(device):
        model = Transformer(args).to(dtype)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.02)
    for module in model.modules():
        if isinstance(module, RMSNorm):
            module.float().weight.data.fill_(1.0)
    model.eval().requires_grad_(False)
    eos = args.vocab_size - 1
    vocab = constrained.Vocabulary.from_token_bytes(
        [bytes([b]) for b in range(256)], eos_token_ids=[eos], size=args.vocab_size
    )
    return LoadedModel(
        name=shape,
        path=Path(shape),
        model=model,
        args=args,
        tokenizer=None,  # type: ignore[arg-type]
        vocab=vocab,
        chat_template=None,
        eos_token_ids=(eos,),
        special_texts={eos: ""},
        device=device,
    )


def prompt_ids(loaded: LoadedModel) -> list[int]:
    if loaded.chat_template is not None:
        return chat_prompt_ids(loaded, [{"role": "user", "content": QUESTION}])
    return list(QUESTION.encode())


def measure(
    engine: LLMEngine, prompt: list[int], batch: int, tokens: int, constraint: Any, seeded: bool = False
) -> dict[str, float]:
    """Run ``batch`` copies of the prompt to ``tokens`` new tokens each (greedy); return timings.

    ``seeded``: give each request a seed (seeded requests decode in full precision, see ``SamplingParams.seed``).
    """
    for i in range(batch):
        params = SamplingParams(
            temperature=0.0, max_tokens=tokens, ignore_eos=constraint is None, constraint=constraint,
            seed=i if seeded else None,
        )
        engine.add_request(f"b{i}", prompt, params)
    start = time.perf_counter()
    engine.step()
    while any(len(r.sequences[0].output_ids) == 0 for r in engine.requests.values()):
        engine.step()
    first = time.perf_counter()
    generated_at_first = engine.generation_tokens_total
    while engine.has_unfinished():
        engine.step()
    end = time.perf_counter()
    decoded = engine.generation_tokens_total - generated_at_first
    engine.generation_tokens_total = engine.prompt_tokens_total = 0
    return {
        "prefill_s": first - start,
        "decode_tok_s": decoded / (end - first) if end > first else 0.0,
        "tokens": float(decoded + generated_at_first),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--dummy-weights", metavar="SHAPE", choices=sorted(SHAPES))
    parser.add_argument("--device", default=None)
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--no-constraint", action="store_true", help="skip the constrained runs")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row, interleaved; the fastest is shown")
    parser.add_argument("--seeded", action="store_true", help="seeded requests (full-precision decode on CPU)")
    args = parser.parse_args(argv)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if args.dummy_weights:
        loaded = dummy_model(args.dummy_weights, device)
    else:
        loaded = load_model(args.model, device=device)
    engine = LLMEngine(loaded, EngineConfig(max_num_seqs=max(args.batch), num_threads=args.threads, max_model_len=1024))
    prompt = prompt_ids(loaded)
    t0 = time.perf_counter()
    constraint = None if args.no_constraint else constrained.compile_json_schema(SCHEMA, loaded.vocab)
    if constraint is not None:
        constraint.matcher()  # build the token index now, not inside the timed run
    compile_s = time.perf_counter() - t0
    print(f"model {loaded.name} on {device}, {torch.get_num_threads()} threads, prompt {len(prompt)} tokens, "
          f"{'seeded' if args.seeded else 'unseeded'} requests")
    print(f"load average before: {_load()}")
    if constraint is not None:
        print(f"schema compile + index: {compile_s:.2f}s")
    print("\n| batch | constraint | decode tok/s (aggregate) | per sequence | vs unconstrained | prefill s | tokens |")
    print("|---|---|---|---|---|---|---|")
    kinds = [None] if constraint is None else [None, constraint]
    for batch in args.batch:
        best = best_of(engine, prompt, batch, args.tokens, kinds, args.repeat, args.seeded)
        plain = best[0]["decode_tok_s"]
        for c, r in zip(kinds, best, strict=True):
            label = "json-schema" if c is not None else "none"
            ratio = f"{r['decode_tok_s'] / plain:.2f}" if plain else "-"
            print(
                f"| {batch} | {label} | {r['decode_tok_s']:.1f} | {r['decode_tok_s'] / batch:.1f} | {ratio} | "
                f"{r['prefill_s']:.3f} | {int(r['tokens'])} |",
                flush=True,
            )
    print(f"\nload average after: {_load()}")


def best_of(
    engine: LLMEngine, prompt: list[int], batch: int, tokens: int, constraints: list[Any], repeat: int,
    seeded: bool = False,
) -> list[dict[str, float]]:
    """Fastest of ``repeat`` runs per constraint, the runs interleaved so that load changes hit all alike."""
    runs: list[list[dict[str, float]]] = [[] for _ in constraints]
    for _ in range(max(1, repeat)):
        for i, c in enumerate(constraints):
            runs[i].append(measure(engine, prompt, batch, tokens, c, seeded))
    return [max(r, key=lambda run: run["decode_tok_s"]) for r in runs]


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
