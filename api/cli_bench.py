"""``constrained bench``: benchmark subcommands (``jsonschema`` today; ``engine`` and ``masks`` to come).

The benchmark code lives in ``bench/`` at the repository root, which is not an installed package: it is
imported from the checkout this ``api`` package sits in.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

EXIT_FAILED = 1


def _bench_module(name: str) -> ModuleType:
    """Import ``bench.<name>`` from the checkout (adding the repository root to ``sys.path`` if needed)."""
    root = Path(__file__).resolve().parents[1]
    if (root / "bench" / f"{name}.py").is_file() and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module(f"bench.{name}")


def cmd_bench_jsonschema(args: argparse.Namespace) -> int:
    """Run the JSON Schema scoreboard (see ``bench/jsonschema_scoreboard.py``)."""
    try:
        scoreboard = _bench_module("jsonschema_scoreboard")
        return int(scoreboard.run_from_args(args))
    except (FileNotFoundError, ValueError, ModuleNotFoundError) as exc:
        print(f"constrained bench jsonschema: {exc}", file=sys.stderr)
        return EXIT_FAILED


def add_jsonschema_arguments(parser: argparse.ArgumentParser) -> None:
    """The scoreboard's flags; also used by ``python -m bench.jsonschema_scoreboard`` (one definition)."""
    parser.add_argument("--split", action="append", metavar="NAME", help="split to run (repeatable; default all)")
    parser.add_argument("--per-split", type=int, default=None, metavar="N", help="seeded sample of N schemas per split")
    parser.add_argument("--vocab", default="smollm2", help="smollm2, llama3, a .gguf or tokenizer.json path, "
                        "or 'none' for byte-level checks only (default smollm2)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="J",
                        help="worker processes (default: one per CPU)")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="S", help="per-schema time limit, seconds")
    parser.add_argument("--seed", type=int, default=20250101, help="sampling seed for --per-split")
    parser.add_argument(
        "--property-order",
        choices=["schema", "any"],
        default="schema",
        help="compile with declared properties in schema order (default) or in any order",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the full report as JSON")
    parser.add_argument("--profile", choices=["full", "ratchet"], help="a fixed configuration (overrides the above)")
    parser.add_argument("--update-baseline", action="store_true", help="store this --profile run as the baseline")


def register(subparsers: argparse._SubParsersAction, epilog: str = "") -> argparse.ArgumentParser:
    """Add ``bench`` (with its ``jsonschema`` subcommand) to the ``constrained`` parser; returns the parser."""
    bench = subparsers.add_parser("bench", help="benchmarks (JSON Schema scoreboard; engine and masks to come)",
                                  epilog=epilog)
    kinds = bench.add_subparsers(dest="bench_command", required=True, metavar="BENCHMARK")
    js = kinds.add_parser("jsonschema", help="JSON Schema scoreboard: MaskBench + JSON-Schema-Test-Suite, "
                          "token by token", epilog=epilog)
    add_jsonschema_arguments(js)
    js.set_defaults(func=cmd_bench_jsonschema)
    return bench
