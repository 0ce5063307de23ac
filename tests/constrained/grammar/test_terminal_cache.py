"""Terminal automata and their vocabulary walks shared across grammars (``grammar/terminal_cache.py``)."""

from __future__ import annotations

import random

import numpy as np
import pytest

import constrained
from constrained.grammar import terminal_cache
from constrained.vocab import Vocabulary

# Two schemas sharing most terminals (string bodies, numbers, whitespace, the "any value" rules).
FIRST = {"type": "object", "properties": {"name": {"type": "string"}, "n": {"type": "integer"}}}
SECOND = {"type": "object", "properties": {"title": {"type": "string"}, "n": {"type": "integer"}}, "required": ["n"]}


def _masks(compiled: object, vocab: Vocabulary, seed: int) -> list[np.ndarray]:
    """The masks along one seeded random walk (each step takes a random allowed token)."""
    rng = random.Random(seed)
    m = compiled.matcher()  # type: ignore[attr-defined]
    out = []
    for _ in range(12):
        words = np.zeros((vocab.size + 31) // 32, dtype=np.int32)
        m.fill_bitmask(words)
        out.append(words)
        allowed = [t for t in m.allowed_token_ids() if t not in vocab.eos_token_ids]
        if not allowed:
            break
        assert m.advance(rng.choice(allowed))
    return out


def test_grammars_share_terminal_automata(byte_vocab: Vocabulary) -> None:
    constrained.clear_cache()
    first = constrained.compile_json_schema(FIRST, byte_vocab)
    second = constrained.compile_json_schema(SECOND, byte_vocab)
    assert first.describe()["engine"] == second.describe()["engine"] == "grammar"
    shared = {id(d) for d in first.cfg.dfas} & {id(d) for d in second.cfg.dfas}
    assert len(shared) >= 3  # the same DFA objects, not equal copies


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_masks_are_the_same_with_shared_walks(bpe_vocab: Vocabulary, seed: int) -> None:
    constrained.clear_cache()
    constrained.compile_json_schema(FIRST, bpe_vocab)  # fills the shared walks
    constrained.clear_cache(keep_terminals=True)
    warm = _masks(constrained.compile_json_schema(SECOND, bpe_vocab), bpe_vocab, seed)
    constrained.clear_cache()
    cold = _masks(constrained.compile_json_schema(SECOND, bpe_vocab), bpe_vocab, seed)
    assert len(warm) == len(cold) and all((a == b).all() for a, b in zip(warm, cold, strict=True))


def test_clear_cache_drops_terminals_unless_kept(byte_vocab: Vocabulary) -> None:
    constrained.clear_cache()
    dfa = constrained.compile_json_schema(FIRST, byte_vocab).cfg.dfas[0]
    constrained.clear_cache(keep_terminals=True)
    assert any(d is dfa for d in constrained.compile_json_schema(FIRST, byte_vocab).cfg.dfas)
    constrained.clear_cache()
    assert not any(d is dfa for d in constrained.compile_json_schema(FIRST, byte_vocab).cfg.dfas)


def test_caches_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from constrained.regex_ast import literal

    monkeypatch.setattr(terminal_cache, "MAX_TERMINAL_DFAS", 3)
    monkeypatch.setattr(terminal_cache, "MAX_TERMINAL_WALKS", 2)
    terminal_cache.clear()
    dfas = [terminal_cache.terminal_dfa(literal(f"t{i}"), 100, 1.0) for i in range(5)]
    for d in dfas:
        terminal_cache.terminal_walks(d, "v")
    assert len(terminal_cache._dfas) == 3 and len(terminal_cache._walks) == 2
    assert terminal_cache.terminal_dfa(literal("t4"), 100, 1.0) is dfas[4]  # recent: kept
    assert terminal_cache.terminal_dfa(literal("t0"), 100, 1.0) is not dfas[0]  # oldest: rebuilt
    terminal_cache.clear()
