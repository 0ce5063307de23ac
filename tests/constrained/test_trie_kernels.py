"""Compiled trie walks (numba) give bit-identical results to the numpy reference walks.

Regex masks are compared on every DFA state; grammar lexeme walks (words and crossing points) and suffix walks on
every terminal state reached; over byte-level BPE, SentencePiece byte-fallback, single-byte and awkward toy
vocabularies (duplicate byte strings, prefixes of each other, unused ids, specials, long tokens).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from tokenizers import Tokenizer

import constrained
from constrained import token_trie
from constrained.grammar import compile_grammar_constraint
from constrained.vocab import Vocabulary

pytest.importorskip("numba")

PATTERNS = [
    r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"',
    r"(.|\n)*",
    r"[a-z]+( [a-z]+)*",
    r"\d{4}-\d{2}-\d{2}",
    r'\{"name":"[^"]*","age":(0|[1-9]\d*)\}',
    r"\p{L}+ \w*",
    r"(yes|no|y|nope)",
    r"[\u00e9\u65e5]+x?",
    r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?",
]
GRAMMARS = [
    ('start: e\ne: e "+" t | t\nt: t "*" f | f\nf: /[a-z0-9]+/ | "(" e ")"\n%ignore " "', "lark"),
    ('root ::= item+\nitem ::= "(" item* ")" | "[" item* "]" | [a-z]+', "gbnf"),
    ('start: pair ("," pair)*\npair: KEY ":" VAL\nKEY: /"[a-z]+"/\nVAL: /[0-9]+/ | /"[^"]*"/\n%ignore " "', "lark"),
]


def awkward_vocab() -> Vocabulary:
    """Duplicates, prefixes, unused ids, a special, split UTF-8, long tokens, every single byte."""
    rng = random.Random(7)
    tokens: list[bytes | None] = [bytes([b]) for b in range(256)]
    pieces = [b'"', b'""', b'"a', b'"a"', b"ab", b"ab", b"abc", b'":', b'","', b"12", b"123", b"\xc3", b"\xc3\xa9",
              b"\xa9", "日本".encode(), "日".encode()[:2], b" " * 40, b"a" * 70, b'\\"', b"\\u00", None, b"yes",
              b"y"]  # fmt: skip
    tokens += pieces
    alphabet = b'abcxyz019 ":,{}\\-.\xc3\xa9'
    tokens += [bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 9))) for _ in range(400)]
    tokens += [b"<eos>", b"<special>"]
    n = len(tokens)
    return Vocabulary.from_token_bytes(tokens, eos_token_ids=[n - 2], special_token_ids=[n - 1], size=n + 3)


@pytest.fixture(scope="module")
def vocabs(bpe_tokenizer: Tokenizer, spm_tokenizer: Tokenizer, byte_vocab: Vocabulary) -> list[Vocabulary]:
    return [byte_vocab, Vocabulary.from_tokenizer(bpe_tokenizer), Vocabulary.from_tokenizer(spm_tokenizer),
            awkward_vocab()]  # fmt: skip


def test_kernels_are_available() -> None:
    assert token_trie.kernels() is not None


def test_trie_shape(vocabs: list[Vocabulary]) -> None:
    for vocab in vocabs:
        trie = vocab.trie()
        assert trie.kernel_arrays is not None
        byte, depth, end, first, count = trie.kernel_arrays[:5]
        walkable = [i for i in range(vocab.size) if vocab.walkable(i)]
        assert sorted(trie.sorted_ids.tolist()) == walkable
        blobs = [vocab.token_bytes[i] or b"" for i in trie.sorted_ids.tolist()]
        assert blobs == sorted(blobs)
        assert int(count.sum()) == len(walkable)
        # Each node's subtree holds exactly the ranks whose bytes start with the node's path.
        path: list[int] = []
        for i in range(len(byte)):
            del path[depth[i] - 1 :]
            path.append(int(byte[i]))
            prefix = bytes(path)
            ranks = [r for r, b in enumerate(blobs) if b.startswith(prefix)]
            assert ranks == list(range(first[i], first[end[i]])), prefix
            assert count[i] == sum(1 for b in blobs if b == prefix)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_regex_masks_equal_reference_on_every_state(pattern: str, vocabs: list[Vocabulary]) -> None:
    for vocab in vocabs:
        c = constrained.compile_regex(pattern, vocab)
        index = c.index
        for state in range(c.dfa.num_states):
            fast, ref = index.entry(state), index.compute_reference(state)
            assert np.array_equal(fast.words, ref.words), (pattern, vocab, state)
            assert fast.num_allowed == ref.num_allowed


@pytest.mark.parametrize(("grammar", "syntax"), GRAMMARS)
def test_grammar_walks_equal_reference(grammar: str, syntax: str, vocabs: list[Vocabulary]) -> None:
    for vocab in vocabs:
        g = compile_grammar_constraint(grammar, syntax, vocab)
        index = g.index
        for t, dfa in enumerate(g.cfg.dfas):
            s_fast, c_fast = index._suffix_walk(t)
            s_ref, c_ref = index.suffix_walk_reference(t)
            assert np.array_equal(s_fast, s_ref) and np.array_equal(c_fast, c_ref), (grammar, t)
            flats = np.arange(len(index._buf), dtype=np.int64)  # a rest starting at every byte of every token
            stay, at, ends = index.rests.walk(t, flats)
            stay_ref, at_ref, ends_ref = index.rests.walk_reference(t, flats)
            assert np.array_equal(stay, stay_ref), (grammar, t)
            got = sorted(zip(at.tolist(), ends.tolist(), strict=True))
            assert got == sorted(zip(at_ref.tolist(), ends_ref.tolist(), strict=True)), (grammar, t)
            stays, crosses = index._suffix_union(frozenset(range(len(g.cfg.term_names))))
            for state in range(1, dfa.num_states):
                fast, ref = index.entry(t, state), index.compute_reference(t, state)
                assert np.array_equal(fast.words, ref.words), (grammar, t, state)
                got = sorted(zip(fast.cross_rank.tolist(), fast.cross_flat.tolist(), strict=True))
                want = sorted(zip(ref.cross_rank.tolist(), ref.cross_flat.tolist(), strict=True))
                assert got == want, (grammar, t, state)
                good, follow = index.split_marks(stays, crosses, fast)
                kernels, index._kernels = index._kernels, None  # the numpy path
                try:
                    good_ref, follow_ref = index.split_marks(stays, crosses, fast)
                finally:
                    index._kernels = kernels
                assert np.array_equal(good, good_ref) and np.array_equal(follow, follow_ref), (grammar, t, state)


def test_reference_path_without_jit(bpe_tokenizer: Tokenizer) -> None:
    vocab = Vocabulary.from_tokenizer(bpe_tokenizer)
    pattern = PATTERNS[0]
    fast = constrained.compile_regex(pattern, vocab).matcher()
    try:
        token_trie.set_jit_enabled(False)
        constrained.clear_cache()
        slow = constrained.compile_regex(pattern, vocab).matcher()
        assert slow._index._kernels is None
    finally:
        token_trie.set_jit_enabled(True)
        constrained.clear_cache()
    rng = np.random.default_rng(0)
    for _ in range(30):
        a, b = fast.allowed_token_ids(), slow.allowed_token_ids()
        assert a == b
        if not a:
            break
        tok = int(rng.choice(a))
        assert fast.advance(tok) and slow.advance(tok)


@pytest.mark.slow
def test_real_smollm2_vocab_masks_equal_reference() -> None:
    from bench.vocabularies import load_vocab, smollm2_cached

    if not smollm2_cached():
        pytest.skip("SmolLM2 GGUF not cached (~/.cache/constrained/models)")
    vocab = load_vocab("smollm2").vocab
    for pattern in PATTERNS:
        c = constrained.compile_regex(pattern, vocab)
        for state in range(min(c.dfa.num_states, 40)):
            fast, ref = c.index.entry(state), c.index.compute_reference(state)
            assert np.array_equal(fast.words, ref.words), (pattern, state)
    for grammar, syntax in GRAMMARS:
        index = compile_grammar_constraint(grammar, syntax, vocab).index
        for t, dfa in enumerate(index.cfg.dfas):
            pairs = zip(index._suffix_walk(t), index.suffix_walk_reference(t), strict=True)
            assert all(np.array_equal(a, b) for a, b in pairs)
            for state in range(1, min(dfa.num_states, 20)):
                fast, ref = index.entry(t, state), index.compute_reference(t, state)
                assert np.array_equal(fast.words, ref.words), (grammar, t, state)
                assert sorted(fast.cross_rank.tolist()) == sorted(ref.cross_rank.tolist())
