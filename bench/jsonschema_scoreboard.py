"""The JSON Schema scoreboard: every MaskBench split and the JSON-Schema-Test-Suite, token by token.

Run it as ``constrained bench jsonschema [--split NAME ...] [--per-split N] [--vocab smollm2|llama3|PATH]
[--jobs J] [--json out.json]`` or ``python -m bench.jsonschema_scoreboard`` with the same flags.

Per split it prints: schemas, compiled, refused (by reason), fully right (compiled and every instance right),
valid accepted / rejected (token walks included), invalid accepted (must be 0), disputed labels, compile time and
mask time p50/p99/max. Each schema runs in a worker process under a time limit (``--timeout``).

Ratchet: ``tests/constrained/json_schema/test_scoreboard_ratchet.py`` runs the fixed, seeded ``ratchet`` profile
and fails when a split gets worse than ``bench/baselines/jsonschema_scoreboard.json``. When results improve
(or after a deliberate policy change), regenerate the baseline from the then-current tree and commit it:

    python -m bench.jsonschema_scoreboard --profile ratchet --update-baseline   # the fast sample (default tests)
    python -m bench.jsonschema_scoreboard --profile full --update-baseline      # every schema (slow test)
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.jsonschema_check import SchemaResult, check_case
from bench.jsonschema_corpora import SchemaCase, all_splits, load_split, sample
from bench.jsonschema_report import format_table, split_summary

BASELINE = Path(__file__).resolve().parent / "baselines" / "jsonschema_scoreboard.json"


@dataclass(frozen=True)
class Profile:
    """A fixed run configuration: the ratchet compares runs of the same profile only."""

    per_split: int | None
    seed: int = 20250101
    timeout_s: float = 60.0
    max_schema_chars: int | None = None
    pin_fast: int | None = None  # on --update-baseline: pin this many quick schemas per split (see update_baseline)
    property_order: str = "schema"  # compile_json_schema's option: "schema" or "any"


# The ratchet must be fast and must not depend on machine load (the compiler has a time budget), so its baseline
# pins, per split, 2 of 6 sampled small schemas whose whole check took at most PIN_FAST_SECONDS when generated.
PROFILES = {
    "ratchet": Profile(per_split=6, max_schema_chars=6000, pin_fast=2),
    "full": Profile(per_split=None),
}
PIN_FAST_SECONDS = 1.5

_worker_vocab: Any = None  # (Vocabulary, encode) in each worker process


def _init_worker(vocab_name: str | None) -> None:
    global _worker_vocab
    vocab = None
    if vocab_name is not None:
        from bench.vocabularies import load_vocab

        bv = load_vocab(vocab_name)
        _worker_vocab = (bv.vocab, bv.encode)
        vocab = bv.vocab
    # Warm-up outside the timings: the first compile of a process imports and loads the compiled kernels
    # (about a second), which would otherwise be charged to whichever schema comes first.
    import constrained

    constrained.compile_json_schema({"type": "object", "properties": {"a": {}, "b": {"type": "string"}}}, vocab)


def _run_one(case: SchemaCase, timeout_s: float, property_order: str) -> SchemaResult:
    vocab, encode = _worker_vocab if _worker_vocab is not None else (None, None)
    return check_case(case, vocab, encode, timeout_s, property_order)


def collect_cases(
    splits: Sequence[str], per_split: int | None, seed: int, max_schema_chars: int | None = None,
    case_ids: dict[str, list[str]] | None = None,
) -> list[SchemaCase]:
    """The seeded sample of each split (optionally among schemas up to ``max_schema_chars`` of JSON), concatenated.

    With ``case_ids`` (split -> ids), exactly those schemas are taken instead.
    """
    known = all_splits()
    unknown = [s for s in splits if s not in known]
    if unknown:
        raise ValueError(f"unknown split(s) {unknown}; present: {', '.join(known)}")
    out = []
    for split in splits:
        cases = load_split(split)
        if case_ids is not None:
            wanted = set(case_ids.get(split, ()))
            out += [c for c in cases if c.case_id in wanted]
            continue
        if max_schema_chars is not None:
            cases = [c for c in cases if len(json.dumps(c.schema)) <= max_schema_chars]
        out += sample(cases, per_split, seed)
    return out


def run_cases(
    cases: list[SchemaCase], vocab_name: str | None, jobs: int, timeout_s: float,
    progress: Callable[[int, int], None] | None = None, property_order: str = "schema",
) -> list[SchemaResult]:
    """Check every case (in ``jobs`` worker processes; in this process when ``jobs`` is 1), in input order."""
    if jobs <= 1:
        _init_worker(vocab_name)
        out = []
        for i, case in enumerate(cases):
            out.append(_run_one(case, timeout_s, property_order))
            if progress:
                progress(i + 1, len(cases))
        return out
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(vocab_name,)) as pool:
        futures = [pool.submit(_run_one, case, timeout_s, property_order) for case in cases]
        results = []
        for i, fut in enumerate(futures):
            results.append(fut.result())
            if progress:
                progress(i + 1, len(cases))
        return results


def summarize(results: list[SchemaResult], splits: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per-split summaries plus ``overall`` (see ``bench.jsonschema_report.split_summary``)."""
    by_split = {s: [r for r in results if r.split == s] for s in splits}
    out = {s: split_summary(rs) for s, rs in by_split.items()}
    out["overall"] = split_summary(results)
    return out


def run(
    splits: Sequence[str] | None, profile: Profile, vocab_name: str | None = "smollm2", jobs: int = 1,
    quiet: bool = True, case_ids: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Run the scoreboard: ``{"config", "splits": {name: summary}, "failures": [...], "results": [SchemaResult]}``.

    Args:
        splits: split names (default: every split present).
        profile: sampling and limits.
        vocab_name: ``smollm2``, ``llama3``, a path, or None for byte-level checks only.
        jobs: worker processes (1: run in this process).
        quiet: no progress lines on stderr.
        case_ids: run exactly these schemas (split -> ids) instead of the profile's sample.
    """
    p = profile
    chosen = list(splits or all_splits())
    cases = collect_cases(chosen, p.per_split, p.seed, p.max_schema_chars, case_ids)

    def progress(done: int, total: int) -> None:
        if done % 100 == 0 or done == total:
            print(f"  {done}/{total} schemas", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    results = run_cases(cases, vocab_name, jobs, p.timeout_s, None if quiet else progress, p.property_order)
    failures = [
        f"{r.split}/{r.case_id}: {r.status} {r.reason} {' | '.join(r.examples)}".strip()
        for r in results
        if r.status == "crash" or r.invalid_accepted or r.walk_failed
    ]
    return {
        "config": {
            "splits": chosen, "vocab": vocab_name, **dataclasses.asdict(p), "jobs": jobs,
            "wall_seconds": round(time.perf_counter() - t0, 1),
        },
        "splits": summarize(results, chosen),
        "failures": failures,
        "results": results,
    }


def machine_line() -> str:
    """A one-line description of this machine for the results file."""
    return f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def pin_quick(results: list[SchemaResult], splits: Sequence[str], per_split: int) -> list[SchemaResult]:
    """Up to ``per_split`` results per split whose check was quick and not cut short by a time limit."""
    out = []
    for split in splits:
        quick = [
            r for r in results
            if r.split == split and r.elapsed_seconds <= PIN_FAST_SECONDS and r.status != "timeout"
            and not r.reason.startswith("BudgetExceeded:max_compile_seconds")
        ]
        quick.sort(key=lambda r: r.status != "compiled")  # compiled ones first: they guard the most numbers
        out += quick[:per_split]
    return out


def update_baseline(profile: str, report: dict[str, Any], path: Path = BASELINE) -> None:
    """Store ``report``'s per-split numbers as the baseline of ``profile`` (other profiles kept).

    A profile with ``pin_fast`` keeps only quick schemas (``pin_quick``) and records their ids, so that later
    runs check exactly those.
    """
    config = {k: v for k, v in report["config"].items() if k not in ("jobs", "wall_seconds")}
    splits = report["splits"]
    pin = PROFILES[profile].pin_fast
    if pin:
        kept = pin_quick(report["results"], config["splits"], pin)
        config["case_ids"] = {s: [r.case_id for r in kept if r.split == s] for s in config["splits"]}
        splits = summarize(kept, config["splits"])
    data = json.loads(path.read_text()) if path.is_file() else {}
    data[profile] = {
        "generated": datetime.date.today().isoformat(),
        "config": config,
        "splits": {name: {k: v for k, v in s.items() if not k.endswith("_ms")} for name, s in splits.items()},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def run_from_args(args: argparse.Namespace) -> int:
    """Run with parsed flags, print the table; returns 0, or 1 when an invalid instance was accepted."""
    vocab = None if args.vocab == "none" else args.vocab
    prof = Profile(per_split=args.per_split, seed=args.seed, timeout_s=args.timeout, property_order=args.property_order)
    if args.profile:
        prof = PROFILES[args.profile]
    elif args.update_baseline:
        print("--update-baseline needs --profile", file=sys.stderr)
        return 2
    report = run(args.split, prof, vocab, args.jobs, quiet=False)
    print(format_table(report["splits"]))
    for line in report["failures"][:50]:
        print("  " + line)
    if args.json:
        rows = [{k: v for k, v in vars(r).items() if k != "mask_seconds"} for r in report["results"]]
        Path(args.json).write_text(json.dumps(report | {"results": rows}, indent=1) + "\n")
    if args.update_baseline:
        update_baseline(args.profile, report)
        print(f"baseline '{args.profile}' written to {BASELINE}", file=sys.stderr)
    return 1 if report["splits"]["overall"]["invalid_accepted"] else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.jsonschema_scoreboard``; returns the exit code."""
    from api.cli_bench import add_jsonschema_arguments

    parser = argparse.ArgumentParser(prog="jsonschema_scoreboard", description=(__doc__ or "").split("\n\n")[0])
    add_jsonschema_arguments(parser)
    return run_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
