"""Fuzzing speed: samples/s of ``constrained.fuzz`` vs hypothesis-jsonschema and Hypothesis ``from_regex``.

Same schemas and regexes on both sides; compile time is reported apart (ours: the DFA/grammar; Hypothesis: the
strategy is built lazily, its set-up is in its first examples). Hypothesis runs a ``@given`` test with
``max_examples=N`` (no database, no shrinking, health checks off) and the JSON values are serialized with
``json.dumps`` so both sides produce text. Ours draws N texts with the ``random`` strategy.

Usage: PY bench/fuzz_speed.py [-n 300] [--schemas 8]

PY needs hypothesis-jsonschema and a Hypothesis it works with: 0.23.1 (the latest) calls a Hypothesis internal
(``many.more``) that Hypothesis 6.170 (the project's) no longer has, so run it from a side environment, e.g.
``python -m venv /tmp/hvenv && /tmp/hvenv/bin/pip install hypothesis==6.98.0 hypothesis-jsonschema==0.23.1
jsonschema numpy lark interegular regex`` (the project is imported from this checkout).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
import warnings
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import constrained  # noqa: E402
from constrained import fuzz  # noqa: E402

MASKBENCH = REPO.parent / "shared" / "corpora" / "jsonschemabench" / "data"
REGEXES = [
    r"\d{3}-\d{3}-\d{4}",
    r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,6}",
    r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}",
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ",
    r"[A-Z][a-z]{2,10}( [A-Z][a-z]{2,10}){0,3}",
    r"(GET|POST|PUT|DELETE) /[a-z]{1,8}(/[a-z0-9]{1,8}){0,4}",
]
HANDWRITTEN = [
    {"type": "object", "properties": {"name": {"type": "string", "maxLength": 20}, "age": {"type": "integer"},
                                      "tags": {"type": "array", "items": {"enum": ["a", "b", "c"]}, "maxItems": 4}},
     "required": ["name", "age"], "additionalProperties": False},
    {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "boolean"}},
                                "required": ["x"]}, "maxItems": 5},
]


def hypothesis_rate(strategy: Any, n: int, to_text: Any) -> tuple[float, int]:
    """(samples/s, unique) of a Hypothesis strategy over ``n`` examples."""
    from hypothesis import HealthCheck, Phase, given, settings

    seen: list[str] = []

    @settings(max_examples=n, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value: Any) -> None:
        seen.append(to_text(value))

    t0 = time.perf_counter()
    collect()
    return len(seen) / (time.perf_counter() - t0), len(set(seen))


def ours_rate(compiled: Any, n: int, check: bool = True) -> tuple[float, int]:
    """(samples/s, unique); ``check=False`` skips the grammar sampler's Earley re-check of each text."""
    sampler = fuzz.make_sampler(compiled, seed=0, check=check)
    t0 = time.perf_counter()
    texts = list(fuzz.iter_samples(sampler, n))
    return n / (time.perf_counter() - t0), len(set(texts))


def maskbench_schemas(count: int) -> list[tuple[str, Any]]:
    """``count`` seeded MaskBench schemas that compile as DFAs or grammars within a few seconds."""
    pool: list[tuple[str, Any]] = []
    for path in sorted(MASKBENCH.glob("Github_*.jsonl.gz")) + sorted(MASKBENCH.glob("Glaiveai2K.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            pool.extend((rec["id"], rec["schema"]) for rec in map(json.loads, f))
    pool = sorted(dict(pool).items())  # one entry per id (the corpus repeats a few records)
    random.Random(1).shuffle(pool)
    return pool[: count * 3]


def row(name: str, compile_s: float, ours: tuple[float, int], hyp: tuple[float, int] | str, n: int,
        unchecked: float | None = None) -> str:
    """One table row; the speed-up counts our compile time in (N samples from scratch, both sides)."""
    rate = f"{ours[0]:,.0f}" + (f" ({unchecked:,.0f} unchecked)" if unchecked is not None else "")
    with_compile = n / (compile_s + n / ours[0])
    if isinstance(hyp, str):
        return f"| {name} | {compile_s * 1000:.0f} | {rate} | {with_compile:,.0f} | {ours[1]}/{n} | {hyp} | | |"
    return (f"| {name} | {compile_s * 1000:.0f} | {rate} | {with_compile:,.0f} | {ours[1]}/{n} | {hyp[0]:,.0f} | "
            f"{hyp[1]}/{n} | {with_compile / hyp[0]:.1f}x |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--schemas", type=int, default=8, help="MaskBench schemas (plus 2 handwritten)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    from hypothesis import strategies as st
    from hypothesis_jsonschema import from_schema

    constrained.warm_up()  # numba's first compile is a one-time cost, not the first regex's

    lines = ["| constraint | our compile ms | ours samples/s | ours samples/s incl. compile | ours unique | "
             "Hypothesis samples/s | Hypothesis unique | speed-up (incl. compile) |", "|---" * 8 + "|"]
    for pattern in REGEXES:
        t0 = time.perf_counter()
        compiled = constrained.compile_regex(pattern, None)
        compile_s = time.perf_counter() - t0
        regex_rate = hypothesis_rate(st.from_regex(pattern, fullmatch=True), args.n, str)
        lines.append(row(f"regex `{pattern[:40]}`", compile_s, ours_rate(compiled, args.n), regex_rate, args.n))
        print(lines[-1], file=sys.stderr)
    done = 0
    for name, schema in [(f"handwritten-{i}", s) for i, s in enumerate(HANDWRITTEN)] + maskbench_schemas(args.schemas):
        if done >= args.schemas + len(HANDWRITTEN):
            break
        try:
            t0 = time.perf_counter()
            compiled = constrained.compile_json_schema(schema, None)
            compile_s = time.perf_counter() - t0
        except constrained.ConstraintError:
            continue
        try:
            hyp: tuple[float, int] | str = hypothesis_rate(from_schema(schema), args.n, json.dumps)
        except Exception as exc:  # noqa: BLE001 -- hypothesis-jsonschema refusing a schema is a result
            hyp = f"refused ({type(exc).__name__})"
        engine = "grammar" if hasattr(compiled, "cfg") else "dfa"
        unchecked = ours_rate(compiled, args.n, check=False)[0] if engine == "grammar" else None
        lines.append(row(f"schema {name} ({engine})", compile_s, ours_rate(compiled, args.n), hyp, args.n, unchecked))
        print(lines[-1], file=sys.stderr)
        done += 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
