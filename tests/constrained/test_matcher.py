"""Matcher invariants under a trained byte-level BPE: soundness of random walks, rollback, copy."""

from __future__ import annotations

import re
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer

import constrained

PATTERNS = [
    r'"([^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"',
    r"(hello|world|über|日本語)( (hello|world|über|日本語)){0,4}",
    r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?",
    r"\{\"key\": \[(\d+(, \d+)*)?\]\}",
    r"[a-zé😀 ]{1,10}",
    r"(true|false|null|\d{1,5})",
]


def mask_of(m: constrained.Matcher) -> np.ndarray:
    words = np.zeros(m.num_words + 2, dtype=np.int32)
    m.fill_bitmask(words)
    return words


def random_walk(m: constrained.Matcher, vocab: constrained.Vocabulary, rng: np.random.Generator, steps: int):
    """Walk allowed tokens; returns (text bytes, ids, ended with EOS)."""
    out: list[bytes] = []
    ids: list[int] = []
    for _ in range(steps):
        if m.state == -1:  # EOS already taken
            break
        allowed = m.allowed_token_ids()
        # Never stuck: a non-accepting live state always offers a token (byte-level BPE has all 256 bytes).
        assert allowed, "no allowed token in a live state"
        ends = [t for t in allowed if t in vocab.eos_token_ids]
        # take an allowed EOS half the time (as a model that is done would), so that many walks end
        pick = ends[0] if ends and rng.random() < 0.5 else int(rng.choice(allowed))
        assert m.advance(pick)
        ids.append(pick)
        if pick in vocab.eos_token_ids:
            return b"".join(out), ids, True
        out.append(vocab.token_bytes[pick] or b"")
    return b"".join(out), ids, False


@pytest.mark.parametrize("pattern", PATTERNS)
def test_random_walks_are_sound(pattern: str, bpe_vocab: constrained.Vocabulary) -> None:
    c = constrained.compile_regex(pattern, bpe_vocab)
    rng = np.random.default_rng(zlib.crc32(pattern.encode()))  # not hash(): it changes with PYTHONHASHSEED
    ended = 0
    for _ in range(40):
        m = c.matcher()
        data, _, eos = random_walk(m, bpe_vocab, rng, 60)
        text = data.decode("utf-8", errors="strict") if eos else None
        if eos:
            ended += 1
            assert re.fullmatch(pattern, text or "") is not None, text
        assert c.dfa.walk(c.dfa.start, data) != 0  # the prefix is always viable
    assert ended > 0


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(PATTERNS), st.integers(0, 2**32 - 1), st.integers(1, 12))
def test_walk_then_rollback_restores_masks(pattern: str, seed: int, k: int) -> None:
    vocab = _session_vocab()
    c = constrained.compile_regex(pattern, vocab)
    m = c.matcher()
    rng = np.random.default_rng(seed)
    random_walk(m, vocab, rng, 3)
    before = mask_of(m)
    state, accepting = m.state, m.is_accepting()
    _, ids, _ = random_walk(m, vocab, rng, k)
    m.rollback(len(ids))
    assert (mask_of(m) == before).all() and m.state == state and m.is_accepting() == accepting


def test_copy_is_independent(bpe_vocab: constrained.Vocabulary) -> None:
    c = constrained.compile_regex(PATTERNS[1], bpe_vocab)
    a = c.matcher()
    assert a.advance(bpe_vocab.token_bytes.index(b"hello"))
    b = a.copy()
    before = mask_of(a)
    assert b.advance(bpe_vocab.token_bytes.index(b" world"))
    assert (mask_of(a) == before).all() and a.state != b.state
    a.rollback(1)
    assert b.state != a.state and b.is_accepting()


def test_rejection_changes_nothing(bpe_vocab: constrained.Vocabulary) -> None:
    m = constrained.compile_regex(r"\d+", bpe_vocab).matcher()
    before = mask_of(m)
    assert not m.advance(bpe_vocab.token_bytes.index(b"hello"))
    assert (mask_of(m) == before).all() and m.state == m.copy().state


def test_rollback_bounds_and_eos(byte_vocab: constrained.Vocabulary) -> None:
    m = constrained.compile_regex("ab", byte_vocab).matcher()
    assert m.advance(97) and m.advance(98) and m.advance(256)
    assert m.is_terminated() and mask_of(m).sum() == 0
    m.rollback(1)  # un-take EOS
    assert not m.is_terminated() or m.is_accepting()
    assert m.allowed_token_ids() == [256]
    with pytest.raises(ValueError):
        m.rollback(3)
    m.rollback(2)
    assert m.allowed_token_ids() == [97]
    m.advance(97)
    m.reset()
    assert m.allowed_token_ids() == [97]


def test_is_terminated_without_eos(byte_vocab: constrained.Vocabulary) -> None:
    m = constrained.compile_regex("ab|abc", byte_vocab).matcher()
    assert m.advance(97) and m.advance(98)
    assert m.is_accepting() and not m.is_terminated()
    assert m.advance(99)
    assert m.is_terminated() and m.allowed_token_ids() == [256]


def test_forced_tokens(byte_vocab: constrained.Vocabulary) -> None:
    m = constrained.compile_regex(r'\{"name": (\d+|x)\}', byte_vocab).matcher()
    assert bytes(m.forced_tokens()) == b'{"name": '
    assert m.state == m.copy().state  # peeking does not move


_VOCAB: list[constrained.Vocabulary] = []


def _session_vocab() -> constrained.Vocabulary:
    """hypothesis tests cannot take function-scoped fixtures; build the BPE once per process."""
    if not _VOCAB:
        from tests.constrained.helpers import train_bpe

        _VOCAB.append(constrained.Vocabulary.from_tokenizer(train_bpe()))
    return _VOCAB[0]


def test_session_vocab_matches_fixture(bpe_tokenizer: Tokenizer, bpe_vocab: constrained.Vocabulary) -> None:
    assert _session_vocab().fingerprint() == bpe_vocab.fingerprint()


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_tokenized_matching_strings_are_accepted(data: st.DataObject) -> None:
    """Completeness: any string the regex matches, tokenized by the BPE, is accepted token by token."""
    from tests.constrained.helpers import train_bpe

    if not _TOK:
        _TOK.append(train_bpe())
    tok, vocab = _TOK[0], _session_vocab()
    pattern = data.draw(st.sampled_from(PATTERNS))
    text = data.draw(st.from_regex(re.compile(pattern, re.ASCII), fullmatch=True))
    try:
        text.encode()
    except UnicodeEncodeError:
        return  # lone surrogates are not text
    m = constrained.compile_regex(pattern, vocab).matcher()
    for i in tok.encode(text).ids:
        assert m.advance(i), (pattern, text, i)
    assert m.is_accepting()
    assert m.advance(vocab.eos_token_ids[0]) and m.is_terminated()


_TOK: list[Tokenizer] = []
