"""Helpers for the constraint-layer tests: toy byte vocabularies and tokenizers trained in memory (no downloads)."""

from __future__ import annotations

import random

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

WORDS = ["hello", "world", "json", "value", "key", "name", "data", "the", "quick", "brown", "fox", "über", "naïve",
         "日本語", "emoji😀", "true", "false", "null", "{", "}", "[", "]", ":", ",", '"', "\\n", "123"]  # fmt: skip


def byte_tokens() -> list[bytes | None]:
    """256 single bytes (ids 0..255), then EOS (256) and a special (257)."""
    return [bytes([b]) for b in range(256)] + [b"</s>", b"<|special|>"]


def train_bpe(vocab_size: int = 600, lines: int = 400, seed: int = 0) -> Tokenizer:
    rng = random.Random(seed)
    corpus = [
        " ".join(rng.choice(WORDS) for _ in range(8)) + f' "{rng.randint(0, 99999)}": [{rng.random():.3f}]'
        for _ in range(lines)
    ]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=["<|endoftext|>", "<|im_start|>"],
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer)
    return tok


def build_spm() -> Tokenizer:
    """A Llama-2-style SentencePiece BPE: byte fallback <0xHH>, metaspace, specials <unk> <s> </s>."""
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    pieces = ["▁", *"abcdefghijklmnopqrstuvwxyz", "he", "ll", "llo", "hello", "▁hello", "▁w", "or", "orl", "orld"]
    for p in pieces:
        vocab.setdefault(p, len(vocab))
    merges = [("h", "e"), ("l", "l"), ("ll", "o"), ("he", "llo"), ("▁", "hello"), ("▁", "w"), ("o", "r"),
              ("or", "l"), ("orl", "d")]  # fmt: skip
    merges = [m for m in merges if m[0] + m[1] in vocab]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, byte_fallback=True, unk_token="<unk>", fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    tok.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    tok.add_special_tokens(["<unk>", "<s>", "</s>"])
    return tok
