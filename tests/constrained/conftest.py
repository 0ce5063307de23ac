"""Fixtures for the constraint layer: toy byte vocabularies and tokenizers trained in memory (no downloads)."""

from __future__ import annotations

import pytest
from tokenizers import Tokenizer

import constrained
from tests.constrained.helpers import build_spm, byte_tokens, train_bpe


@pytest.fixture(scope="session")
def byte_vocab() -> constrained.Vocabulary:
    """256 single-byte tokens, EOS 256, special 257."""
    return constrained.Vocabulary.from_token_bytes(byte_tokens(), eos_token_ids=[256], special_token_ids=[257])


@pytest.fixture(scope="session")
def bpe_tokenizer() -> Tokenizer:
    return train_bpe()


@pytest.fixture(scope="session")
def bpe_vocab(bpe_tokenizer: Tokenizer) -> constrained.Vocabulary:
    return constrained.Vocabulary.from_tokenizer(bpe_tokenizer)


@pytest.fixture(scope="session")
def spm_tokenizer() -> Tokenizer:
    return build_spm()
