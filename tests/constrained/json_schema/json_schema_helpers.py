"""Shared helpers: locating /work/shared corpora and running schema/instance tables through the oracle."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest

import constrained
from constrained.errors import BudgetExceeded, InvalidConstraint, UnsupportedFeature
from constrained.json_schema import lower_json_schema
from constrained.json_schema.compile import compile_lowered
from constrained.json_schema.exact_multiple import with_exact_multiple_of
from constrained.regex_ast import Automaton, CharSet, Repeat, to_python_regex

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO / ".." / "shared"
MAX_PATTERN_CHARS = 300_000  # Python's re gets slow beyond this; larger compiled schemas are counted apart
MAX_TREE_NODES = 20_000


def tree_size(node: Any, memo: dict[int, int] | None = None) -> int:
    """Nodes in the fully expanded tree (shared sub-nodes counted once per use), computed over the DAG."""
    memo = {} if memo is None else memo
    key = id(node)
    if key not in memo:
        if isinstance(node, CharSet):
            memo[key] = 1
        elif isinstance(node, Automaton):  # a dfa_ops product: no regex rendering, the DAG oracle walks it
            memo[key] = MAX_TREE_NODES + 1
        elif isinstance(node, Repeat):
            memo[key] = 1 + tree_size(node.item, memo)
        else:
            memo[key] = 1 + sum(tree_size(i, memo) for i in node.items)
    return memo[key]


def corpus(*parts: str) -> Path:
    path = SHARED.joinpath("corpora", *parts)
    if not path.exists():
        pytest.skip(f"corpus missing: {path}")
    return path


def compact(x: Any, ascii_: bool = False) -> str:
    return json.dumps(x, separators=(",", ":"), ensure_ascii=ascii_)


@dataclass
class Counts:
    compiled: int = 0
    refused: int = 0
    dag_only: int = 0
    grammar: int = 0
    valid_accepted: int = 0
    valid_rejected: int = 0
    invalid_rejected: int = 0
    false_positives: list[str] = field(default_factory=list)


class DagMatcher:
    """Full-match oracle that works on the node DAG: end positions memoized per (node, start).

    Its cost is (distinct nodes) x (text length), so large schemas whose expanded tree defeats Python's ``re``
    can still be checked. Independent of ``to_python_regex``; the two are cross-checked on small schemas.
    """

    def __init__(self, node: Any) -> None:
        self.node = node

    def fullmatch(self, text: str) -> bool:
        memo: dict[tuple[int, int], frozenset[int]] = {}

        def ends(node: Any, i: int) -> frozenset[int]:
            key = (id(node), i)
            hit = memo.get(key)
            if hit is not None:
                return hit
            if isinstance(node, CharSet):
                ok = i < len(text) and any(lo <= ord(text[i]) <= hi for lo, hi in node.ranges)
                out = frozenset((i + 1,)) if ok else frozenset()
            elif isinstance(node, Automaton):
                state, found = node.dfa.start, set()
                for j in range(i, len(text)):
                    state = node.dfa.walk(state, text[j].encode("utf-8", "surrogatepass"))
                    if state == 0:
                        break
                    if node.dfa.accepting[state]:
                        found.add(j + 1)
                out = frozenset(found)
            elif isinstance(node, Repeat):
                cur = {i}
                for _ in range(node.min):
                    cur = {q for p in cur for q in ends(node.item, p)}
                seen, frontier, count = set(cur), cur, node.min
                while frontier and (node.max is None or count < node.max):
                    frontier = {q for p in frontier for q in ends(node.item, p)} - seen
                    seen |= frontier
                    count += 1
                out = frozenset(seen)
            elif type(node).__name__ == "Seq":
                cur = {i}
                for item in node.items:
                    cur = {q for p in cur for q in ends(item, p)}
                    if not cur:
                        break
                out = frozenset(cur)
            else:
                out = frozenset(q for item in node.items for q in ends(item, i))
            memo[key] = out
            return out

        return len(text) in ends(self.node, 0)


class GrammarOracle:
    """Full-match check of a schema compiled to a grammar (its Earley recognizer, no tokenizer)."""

    def __init__(self, compiled: Any) -> None:
        self.compiled = compiled

    def fullmatch(self, text: str) -> bool:
        return bool(self.compiled.accepts(text))


def compile_pattern(schema: Any, whitespace: str = "compact", any_depth: int = 1) -> tuple[Any, Any] | None:
    """(node, matcher) for a schema, or None when refused. The matcher is ``re`` when the tree is small."""
    try:
        lowered = lower_json_schema(schema, whitespace=whitespace, any_depth=any_depth)
        if not lowered.regular:  # recursion: a grammar, checked by its own recognizer
            grammar = compile_lowered(lowered, None, 100_000, 10.0)
            return lowered.node, GrammarOracle(grammar)
    except (UnsupportedFeature, BudgetExceeded, InvalidConstraint):
        return None
    node = lowered.node
    if tree_size(node) > MAX_TREE_NODES:
        return node, DagMatcher(node)
    text = to_python_regex(node)
    if len(text) > MAX_PATTERN_CHARS:
        return node, DagMatcher(node)
    return node, re.compile(text)


def run_cases(cases: list[tuple[Any, list[tuple[Any, bool]]]], counts: Counts, serialize: Any, ws: str) -> None:
    for schema, instances in cases:
        compiled = compile_pattern(schema, ws)
        if compiled is None:
            counts.refused += 1
            continue
        node, matcher = compiled
        counts.compiled += 1
        counts.dag_only += isinstance(matcher, DagMatcher)
        counts.grammar += isinstance(matcher, GrammarOracle)
        for data, valid in instances:
            text = serialize(data)
            hit = matcher.fullmatch(text) is not None and matcher.fullmatch(text) is not False
            if not isinstance(matcher, DagMatcher | GrammarOracle):  # the two oracles must agree
                assert DagMatcher(node).fullmatch(text) == hit, (schema, text)
            if valid:
                counts.valid_accepted += hit
                counts.valid_rejected += not hit
            elif hit:
                counts.false_positives.append(f"{json.dumps(schema)[:300]} :: {text[:200]}")
            else:
                counts.invalid_rejected += 1


def truth(schema: Any, data: Any) -> bool:
    """The validator's verdict, ``multipleOf`` in exact decimals (as the specification means it)."""
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls = with_exact_multiple_of(cls)
    return bool(cls(schema, format_checker=jsonschema.FormatChecker()).is_valid(data))


def walk(
    compiled: Any, vocab: constrained.Vocabulary, rng: random.Random, steps: int = 80, closing: float = 0.0
) -> tuple[bytes, bool]:
    """A random walk over allowed tokens (EOS taken now and then); (text, ended with EOS).

    ``closing``: how often to take a token holding ``}`` or ``]`` when one is allowed (so walks through open
    objects end).
    """
    m = compiled.matcher()
    out = bytearray()
    eos = vocab.eos_token_ids[0]
    for _ in range(steps):
        ids = m.allowed_token_ids()
        assert ids, f"no allowed token and not accepting after {bytes(out)!r}"
        words = np.zeros(m.num_words, dtype=np.int32)
        m.fill_bitmask(words)
        assert np.flatnonzero(np.unpackbits(words.view(np.uint8), bitorder="little")).tolist() == ids
        closers = [i for i in ids if b"}" in (vocab.token_bytes[i] or b"") or b"]" in (vocab.token_bytes[i] or b"")]
        if eos in ids and rng.random() < 0.25:
            token = eos
        elif closers and rng.random() < closing:
            token = rng.choice(closers)
        else:
            token = rng.choice(ids)
        assert m.advance(token)
        if token == eos:
            return bytes(out), True
        out += vocab.token_bytes[token] or b""
    return bytes(out), False


def assert_rollback_replays(compiled: Any, tokens: list[int]) -> None:
    """Walk ``tokens``, roll all of them back and replay: every mask equals the first walk's and a fresh matcher's."""
    m = compiled.matcher()
    masks = [m.allowed_token_ids()]
    for token in tokens:
        assert m.advance(token)
        masks.append(m.allowed_token_ids())
    again = compiled.matcher()
    m.rollback(len(tokens))
    for i, token in enumerate(tokens):
        assert m.allowed_token_ids() == masks[i] == again.allowed_token_ids()
        assert m.advance(token) and again.advance(token)
    assert m.is_accepting()
