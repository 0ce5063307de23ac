"""Vocabulary: exact token bytes from byte-level BPE and SentencePiece tokenizers; specials, EOS, fingerprint."""

from __future__ import annotations

from pathlib import Path

import pytest
from tokenizers import Tokenizer

import constrained
from tests.constrained.helpers import build_spm, byte_tokens

TEXTS = ["hello world", "über naïve 日本語 emoji😀", '{"key": [1, 2.5, null]}', "  two  spaces\n\ttab", "x"]


@pytest.mark.parametrize("text", TEXTS)
def test_bpe_token_bytes_concatenate_to_text(bpe_tokenizer: Tokenizer, bpe_vocab: constrained.Vocabulary, text: str):
    ids = bpe_tokenizer.encode(text).ids
    assert b"".join(bpe_vocab.token_bytes[i] or b"" for i in ids) == text.encode()


def test_bpe_has_split_utf8_tokens(bpe_vocab: constrained.Vocabulary) -> None:
    # The 256 byte tokens of a byte-level BPE include lone UTF-8 lead/continuation bytes.
    singles = {b for b in bpe_vocab.token_bytes if b is not None and len(b) == 1}
    assert bytes([0xC3]) in singles and bytes([0xA9]) in singles and len(singles) == 256


@pytest.mark.parametrize("text", ["hello world", "wörld 😀 x", "hello"])
def test_spm_byte_fallback_and_metaspace(spm_tokenizer: Tokenizer, text: str) -> None:
    vocab = constrained.Vocabulary.from_tokenizer(spm_tokenizer)
    enc = spm_tokenizer.encode(text, add_special_tokens=False)
    assert b"".join(vocab.token_bytes[i] or b"" for i in enc.ids) == b" " + text.encode()
    assert any(t.startswith("<0x") for t in enc.tokens) or text == "hello" or text == "hello world"


def test_spm_specials_and_eos(spm_tokenizer: Tokenizer) -> None:
    vocab = constrained.Vocabulary.from_tokenizer(spm_tokenizer)
    ids = spm_tokenizer.get_vocab()
    assert vocab.eos_token_ids == (ids["</s>"],)
    assert {ids["<unk>"], ids["<s>"], ids["</s>"]} <= vocab.special_token_ids
    assert vocab.token_bytes[ids["<0x41>"]] == b"A"
    assert vocab.token_bytes[ids["▁w"]] == b" w"


def test_bpe_specials_kept_apart(bpe_tokenizer: Tokenizer, bpe_vocab: constrained.Vocabulary) -> None:
    eot = bpe_tokenizer.token_to_id("<|endoftext|>")
    other = bpe_tokenizer.token_to_id("<|im_start|>")
    assert bpe_vocab.eos_token_ids == (eot,)
    assert other in bpe_vocab.special_token_ids and not bpe_vocab.walkable(other)
    walk = bpe_vocab.walk_data()
    assert eot not in walk.order.tolist() and other not in walk.order.tolist()


def test_explicit_eos_and_padding(bpe_tokenizer: Tokenizer) -> None:
    vocab = constrained.Vocabulary.from_tokenizer(bpe_tokenizer, eos_token_ids=[5], size=1000)
    assert vocab.eos_token_ids == (5,) and vocab.size == 1000 and vocab.token_bytes[999] is None
    assert not vocab.walkable(999) and not vocab.walkable(5)


def test_from_file(tmp_path: Path, bpe_tokenizer: Tokenizer, bpe_vocab: constrained.Vocabulary) -> None:
    path = tmp_path / "tokenizer.json"
    bpe_tokenizer.save(str(path))
    assert constrained.Vocabulary.from_file(str(path)).fingerprint() == bpe_vocab.fingerprint()


def test_fingerprint_changes_with_content() -> None:
    a = constrained.Vocabulary.from_token_bytes(byte_tokens(), eos_token_ids=[256], special_token_ids=[257])
    b = constrained.Vocabulary.from_token_bytes(byte_tokens(), eos_token_ids=[256], special_token_ids=[257])
    c = constrained.Vocabulary.from_token_bytes(byte_tokens(), eos_token_ids=[257])
    d = constrained.Vocabulary.from_token_bytes([*byte_tokens()[:-1], b"<x>"], eos_token_ids=[256])
    assert a.fingerprint() == b.fingerprint()
    assert len({a.fingerprint(), c.fingerprint(), d.fingerprint()}) == 3


def test_walk_data_layout() -> None:
    vocab = constrained.Vocabulary.from_token_bytes([b"ab", b"", None, b"xyz", b"q", b"<e>"], eos_token_ids=[5])
    walk = vocab.walk_data()
    assert walk.order.tolist() == [3, 0, 4]  # longest first; empty, missing and EOS excluded
    assert walk.counts == (3, 2, 1)
    assert [c.tobytes() for c in walk.columns] == [b"xaq", b"yb", b"z"]


def test_bad_special_id() -> None:
    with pytest.raises(ValueError):
        constrained.Vocabulary.from_token_bytes([b"a"], eos_token_ids=[3])


def test_spm_vocab_builder_is_deterministic() -> None:
    assert constrained.Vocabulary.from_tokenizer(build_spm()).fingerprint() == (
        constrained.Vocabulary.from_tokenizer(build_spm()).fingerprint()
    )


def test_unigram_byte_fallback_and_unk() -> None:
    from tokenizers import decoders, models, pre_tokenizers

    model = models.Unigram([("<unk>", 0.0), ("▁a", -1.0), ("b", -2.0), ("<0x41>", -3.0)], unk_id=0, byte_fallback=True)
    tok = Tokenizer(model)
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    vocab = constrained.Vocabulary.from_tokenizer(tok)
    assert vocab.token_bytes == (b"<unk>", b" a", b"b", b"A")
    assert vocab.special_token_ids == frozenset({0}) and vocab.eos_token_ids == ()
