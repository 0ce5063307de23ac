"""Our engine behind the "ours" protocol of the peer benchmark (`../shared/bench/peers`, `adapters/ours_adapter.py`).

Run from the harness folder (with the project importable, e.g. `PYTHONPATH=/path/to/checkout`):

    python bench.py --tokenizer tokenizers/smollm2.json --engines ours,xgrammar,llguidance \
        --ours-module /path/to/checkout/bench/ours_adapter.py

Everything goes through the public `constrained` API, as an outside user would call it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import numpy as np

import constrained

ENGINE_NAME = "ours"
CACHES_COMPILED = True


@dataclass
class TokInfo:
    vocab: constrained.Vocabulary


def version() -> str:
    return constrained.COMPILER_VERSION


def build_tokenizer_info(
    tokenizer_json_path: str,
    *,
    vocab_size: int,
    eos_token_ids: list[int],
    special_token_ids: list[int],
    token_bytes: list[bytes | None],
) -> TokInfo:
    vocab = constrained.Vocabulary.from_token_bytes(
        token_bytes, eos_token_ids=eos_token_ids, special_token_ids=special_token_ids, size=vocab_size
    )
    vocab.precompute()  # the token trie and compiled mask kernels, once per tokenizer (not in the first mask)
    # The JSON Schema and grammar front ends are imported lazily by the library (~0.5 s, mostly `jsonschema`);
    # import them here, once per process, so that cost is not billed to whichever case compiles first.
    importlib.import_module("constrained.grammar")
    importlib.import_module("constrained.json_schema")

    return TokInfo(vocab)


def compile(tok_info: TokInfo, kind: str, spec: dict, options: dict) -> Any:
    vocab = tok_info.vocab
    try:
        if kind == "json_schema":
            whitespace = "flexible" if options.get("json_whitespace", "flexible") == "flexible" else "compact"
            return constrained.compile_json_schema(spec["schema"], vocab, whitespace=whitespace)
        if kind == "regex":
            return constrained.compile_regex(spec["regex"], vocab)
        if kind == "choice":
            return constrained.compile_choice(spec["choices"], vocab)
        if kind == "grammar":
            if "lark" in spec:
                return constrained.compile_grammar(spec["lark"], vocab, syntax="lark")
            return constrained.compile_grammar(spec["gbnf"], vocab, syntax="gbnf")
    except constrained.UnsupportedFeature as exc:
        raise NotImplementedError(str(exc)) from exc
    raise NotImplementedError(f"unknown kind {kind!r}")


def clear_cache(tok_info: TokInfo) -> None:
    constrained.clear_cache()


def new_matcher(compiled: Any) -> Any:
    return compiled.matcher()


def fill_next_token_bitmask(matcher: Any, bitmask: np.ndarray) -> None:
    matcher.fill_bitmask(bitmask)


def accept_token(matcher: Any, token_id: int) -> bool:
    return bool(matcher.advance(token_id))


def is_accepting(matcher: Any) -> bool:
    return bool(matcher.is_accepting())
