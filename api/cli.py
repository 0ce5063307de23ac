"""The ``constrained`` command line: ``serve``, ``compile``, ``fuzz``, ``bench``.

Heavy imports (torch, litestar, the compiler) happen inside the subcommand that needs them, so ``--help``
is instant and ``compile`` works without torch.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran and the answer is "no": constraint refused, text rejected, server error
EXIT_USAGE = 2  # bad flags (argparse's own code)
EXIT_NOT_BUILT = 3  # the subcommand exists but its feature has not landed yet

API_KEY_ENV = "CONSTRAINED_API_KEY"

EPILOG = """exit codes: 0 success, 1 refused/rejected/failed, 2 usage error, 3 feature not built yet"""


def _not_built(name: str, issue: int) -> int:
    print(f"constrained {name}: not built yet (tracked in issue #{issue})", file=sys.stderr)
    return EXIT_NOT_BUILT


# --- serve --------------------------------------------------------------------------------------------------


def _engine_args(args: argparse.Namespace) -> dict[str, Any]:
    """Engine settings given on the command line (the rest keep the engine's defaults)."""
    given = {"max_model_len": args.max_model_len, "max_num_seqs": args.max_num_seqs, "max_waiting": args.max_waiting}
    return {name: value for name, value in given.items() if value is not None}


def api_key_from(args: argparse.Namespace, environ: Mapping[str, str]) -> str | None:
    """The API key: ``--api-key``, else ``$CONSTRAINED_API_KEY``; None (no key required) when both are empty."""
    return args.api_key or environ.get(API_KEY_ENV) or None


def cmd_serve(args: argparse.Namespace) -> int:
    """Load the model (fetching it once if needed), start the engine and run the HTTP server until Ctrl-C."""
    from api.app import ServerSettings, create_app
    from api.serving import GracefulServer, server_config
    from constrained.warmup import warm_up
    from engine.async_engine import AsyncEngine
    from engine.model_registry import resolve_model

    try:
        path = resolve_model(args.model)
        engine = AsyncEngine.from_model(str(path), **_engine_args(args))
    except (FileNotFoundError, OSError, RuntimeError, ValueError) as exc:
        print(f"constrained serve: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print("[constrained] loading the mask kernels (compiled on the first run: about 20 s)", file=sys.stderr)
    warm_up()  # now, not inside the first request's compile budget
    settings = ServerSettings(model_name=args.served_model_name or args.model, model_path=path,
                              api_key=api_key_from(args, os.environ), max_body_bytes=args.max_body_bytes)
    print(f"[constrained] serving {settings.model_name} ({path}) on http://{args.host}:{args.port}", file=sys.stderr)
    # Ctrl-C: stop accepting; running requests get --shutdown-grace seconds to finish, then the engine aborts the
    # rest (streams end with an error event, whole answers with a 503) and the app stops the engine.
    config = server_config(create_app(settings, engine), host=args.host, port=args.port, log_level=args.log_level,
                           grace_s=args.shutdown_grace)
    try:
        GracefulServer(config, engine, grace_s=args.shutdown_grace).run()
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled; stopping on Ctrl-C is a clean exit
        pass
    return EXIT_OK


# --- compile ------------------------------------------------------------------------------------------------


def _compile_from_args(args: argparse.Namespace) -> Any:
    import constrained

    if args.regex is not None:
        return constrained.compile_regex(args.regex, None)
    if args.choice is not None:
        return constrained.compile_choice(args.choice, None)
    if args.schema is not None:
        text = Path(args.schema).read_text(encoding="utf-8")
        return constrained.compile_json_schema(
            text,
            None,
            whitespace=args.whitespace,
            lenient=args.lenient,
            property_order=args.property_order,
            formats=args.formats,
        )
    syntax = args.syntax or ("gbnf" if args.grammar.endswith(".gbnf") else "lark")
    text = Path(args.grammar).read_text(encoding="utf-8")
    return constrained.compile_grammar(text, None, syntax=syntax)


def cmd_compile(args: argparse.Namespace) -> int:
    """Compile a constraint without a tokenizer, report what it enforces, optionally check texts against it."""
    from constrained import ConstraintError

    try:
        compiled = _compile_from_args(args)
    except ConstraintError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        print(f"constrained compile: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(compiled.describe(), indent=2, default=str))
    status = EXIT_OK
    for text in args.check:
        ok = compiled.accepts(text)
        print(f"{'accept' if ok else 'reject'}: {text!r}")
        status = status if ok else EXIT_FAILED
    return status


# --- parser -------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="constrained",
        description="Exact structured generation: token masks from JSON Schema, regex, choices and grammars.",
        epilog=EPILOG,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the OpenAI-compatible server", epilog=EPILOG)
    serve.add_argument("--model", default="smollm2", help="short name (smollm2) or path to a GGUF file / HF folder")
    serve.add_argument("--served-model-name", default=None, help="model id reported by the API (default: --model)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--api-key", default=None, help="require 'Authorization: Bearer KEY' on /v1 "
                       f"(default: ${API_KEY_ENV})")
    serve.add_argument("--max-model-len", type=int, default=None, help="longest prompt + answer in tokens "
                       "(default: the model's context, capped by the KV cache)")
    serve.add_argument("--max-num-seqs", type=int, default=None, help="most sequences decoded together")
    serve.add_argument("--max-waiting", type=int, default=None, help="most queued requests; more get HTTP 429")
    serve.add_argument("--max-body-bytes", type=int, default=8 * 1024 * 1024, help="largest request body; "
                       "larger ones get HTTP 413 (default: 8 MiB)")
    serve.add_argument("--shutdown-grace", type=float, default=30.0, help="seconds running requests may take to "
                       "finish after Ctrl-C before they are aborted (default: 30)")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    serve.set_defaults(func=cmd_serve)

    comp = sub.add_parser("compile", help="compile a constraint and print what it enforces", epilog=EPILOG)
    src = comp.add_mutually_exclusive_group(required=True)
    src.add_argument("--schema", metavar="FILE", help="JSON Schema file")
    src.add_argument("--regex", metavar="RE", help="regular expression (full match)")
    src.add_argument("--choice", nargs="+", metavar="TEXT", help="exact alternatives")
    src.add_argument("--grammar", metavar="FILE", help=".lark or .gbnf grammar file")
    comp.add_argument("--syntax", choices=["lark", "gbnf"], help="grammar syntax (default: from the extension)")
    comp.add_argument("--whitespace", default="flexible", choices=["flexible", "compact"])
    comp.add_argument("--lenient", action="store_true", help="weaken unsupported keywords and report them")
    comp.add_argument(
        "--property-order",
        choices=["schema", "any"],
        default="schema",
        help="JSON Schema: declared properties in schema order (default) or in any order",
    )
    comp.add_argument(
        "--formats",
        choices=["assert", "annotation"],
        default="assert",
        help="JSON Schema: check 'format' (default) or treat it as an annotation (2020-12's default vocabulary)",
    )
    comp.add_argument("--check", action="append", default=[], metavar="TEXT", help="test TEXT (repeatable)")
    comp.set_defaults(func=cmd_compile)

    from api.cli_fuzz import register as register_fuzz

    register_fuzz(sub, EPILOG)

    from api.cli_bench import register as register_bench

    register_bench(sub, EPILOG)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``constrained`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
