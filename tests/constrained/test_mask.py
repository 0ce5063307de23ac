"""Exact token masks on toy vocabularies: UTF-8 splits, tokens spanning pattern parts, choices, EOS, specials."""

from __future__ import annotations

import numpy as np
import pytest
import regex

import constrained
from tests.constrained.helpers import train_bpe


def toy(tokens: list[bytes | None], eos: int | None = None, special: tuple[int, ...] = ()) -> constrained.Vocabulary:
    return constrained.Vocabulary.from_token_bytes(tokens, eos_token_ids=[] if eos is None else [eos],
                                                   special_token_ids=special)  # fmt: skip


def walk_text(m: constrained.Matcher, vocab: constrained.Vocabulary, ids: list[int]) -> None:
    for i in ids:
        assert m.advance(i), (i, vocab.token_bytes[i])


def test_choice_with_prefixes() -> None:
    tokens: list[bytes | None] = [b"y", b"yes", b"e", b"s", b"es", b"n", b"no", b"o", b"x", b"</s>", b"<sp>"]
    vocab = toy(tokens, eos=9, special=(10,))
    m = constrained.compile_choice(["yes", "no", "y"], vocab).matcher()
    assert m.allowed_token_ids() == [0, 1, 5, 6]
    assert not m.is_accepting()
    assert m.advance(0)
    assert m.allowed_token_ids() == [2, 4, 9] and m.is_accepting() and not m.is_terminated()
    assert m.advance(4)
    assert m.allowed_token_ids() == [9] and m.is_terminated()
    assert not m.advance(3) and m.advance(9)
    assert m.allowed_token_ids() == [] and m.is_terminated() and not m.advance(9)


def test_tokens_splitting_utf8() -> None:
    tokens: list[bytes | None] = [b"\xc3", b"\xa9", b"\xc3\xa9", b"\xa9\xc3", b"e", b"\xa9\xa9", b"<eos>"]
    vocab = toy(tokens, eos=6)
    m = constrained.compile_regex("é+", vocab).matcher()
    assert m.allowed_token_ids() == [0, 2]
    assert m.advance(0)
    assert m.allowed_token_ids() == [1, 3]
    assert m.advance(3)
    assert m.allowed_token_ids() == [1, 3]
    assert m.advance(1)
    assert m.allowed_token_ids() == [0, 2, 6]


def test_tokens_spanning_pattern_parts() -> None:
    tokens: list[bytes | None] = [b"1", b"12", b"1,", b",a", b"a", b"1,a", b",", b"a1", b"ab,"]
    vocab = toy(tokens)
    m = constrained.compile_regex(r"\d+,[a-z]+", vocab).matcher()
    assert m.allowed_token_ids() == [0, 1, 2, 5]
    assert m.advance(1)
    assert m.allowed_token_ids() == [0, 1, 2, 3, 5, 6]
    assert m.advance(3)
    assert m.allowed_token_ids() == [4] and m.is_accepting()


def test_specials_and_empty_tokens_never_allowed() -> None:
    tokens: list[bytes | None] = [b"a", b"", b"<sp>", None, b"<eos>", b"b"]
    vocab = toy(tokens, eos=4, special=(2,))
    m = constrained.compile_regex(r"(?:.|\n)*", vocab).matcher()
    assert m.allowed_token_ids() == [0, 4, 5]
    assert not m.advance(1) and not m.advance(2) and not m.advance(3) and not m.advance(99) and not m.advance(-1)


def test_eos_only_when_accepting(byte_vocab: constrained.Vocabulary) -> None:
    m = constrained.compile_regex("ab?", byte_vocab).matcher()
    assert 256 not in m.allowed_token_ids() and not m.advance(256)
    assert m.advance(ord("a"))
    assert 256 in m.allowed_token_ids() and 257 not in m.allowed_token_ids()
    assert m.advance(256) and m.is_terminated()


def unpack(words: np.ndarray, size: int) -> list[int]:
    return [t for t in range(size) if int(words[t >> 5]) & (1 << (t & 31))]


def test_fill_bitmask_layout_and_padding(byte_vocab: constrained.Vocabulary) -> None:
    m = constrained.compile_regex("[a-c]|[\x80-\x85]|ÿ", byte_vocab).matcher()
    words = np.full(20, -1, dtype=np.int32)
    m.fill_bitmask(words)
    assert m.num_words == 9
    assert (words[9:] == 0).all()
    assert unpack(words, 258) == m.allowed_token_ids() == [97, 98, 99, 0xC2, 0xC3]  # U+0080..U+0085 start with C2
    with pytest.raises(ValueError):
        m.fill_bitmask(np.zeros(3, dtype=np.int32))


def test_bit_31_sets_sign(byte_vocab: constrained.Vocabulary) -> None:
    m = constrained.compile_regex("\x1f", byte_vocab).matcher()  # token 31 -> bit 31 of word 0
    words = np.zeros(9, dtype=np.int32)
    m.fill_bitmask(words)
    assert words[0] == np.int32(-(2**31)) and unpack(words, 258) == [31]


def test_fill_torch_tensor(byte_vocab: constrained.Vocabulary) -> None:
    torch = pytest.importorskip("torch")
    m = constrained.compile_regex("[ab]", byte_vocab).matcher()
    row = torch.full((2, 12), -1, dtype=torch.int32)
    m.fill_bitmask(row[1])
    assert row[1, 3].item() == (1 << 1) | (1 << 2) and row[1, 9:].eq(0).all() and row[0].eq(-1).all()


@pytest.mark.parametrize(
    "pattern", [r"[a-z]+ \d{1,3}", r'"(\w| )*"', r"(hello|world|json)( (hello|world))*", r".{0,12}"]
)
def test_masks_match_partial_regex_oracle(pattern: str) -> None:
    """Every allowed token keeps a partial match alive and every rejected one kills it (ASCII tokens)."""
    tok = train_bpe(vocab_size=400, lines=200, seed=3)
    vocab = constrained.Vocabulary.from_tokenizer(tok)
    m = constrained.compile_regex(pattern, vocab).matcher()
    oracle = regex.compile(pattern, regex.ASCII)
    ascii_ids = [i for i in range(vocab.size) if vocab.walkable(i) and (vocab.token_bytes[i] or b"").isascii()]
    prefix = ""
    rng = np.random.default_rng(0)
    for _ in range(6):
        allowed = set(m.allowed_token_ids())
        for i in ascii_ids:
            text = prefix + (vocab.token_bytes[i] or b"").decode()
            assert (i in allowed) == (oracle.fullmatch(text, partial=True) is not None), (prefix, text)
        choices = [i for i in allowed if i in ascii_ids]
        if not choices:
            break
        pick = int(rng.choice(choices))
        assert m.advance(pick)
        prefix += (vocab.token_bytes[pick] or b"").decode()


class FakeDeviceTensor:
    """Duck-typed stand-in for a CUDA int32 tensor row: no host view, only ``copy_``/``new_tensor``/``fill_``."""

    def __init__(self, n: int) -> None:
        self.data = np.full(n, -1, dtype=np.int32)

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        raise TypeError("can't convert cuda tensor to numpy")

    def new_tensor(self, arr: np.ndarray) -> np.ndarray:
        return np.array(arr, dtype=np.int32)

    def __getitem__(self, sl: slice) -> FakeSlice:
        return FakeSlice(self.data, sl)

    def copy_(self, src: np.ndarray) -> None:
        self.data[:] = src


class FakeSlice:
    def __init__(self, data: np.ndarray, sl: slice) -> None:
        self.data, self.sl = data, sl

    def copy_(self, src: np.ndarray) -> None:
        self.data[self.sl] = src

    def fill_(self, value: int) -> None:
        self.data[self.sl] = value


def test_fill_device_tensor_duck_typed(byte_vocab: constrained.Vocabulary) -> None:
    m = constrained.compile_regex("[ab]", byte_vocab).matcher()
    row = FakeDeviceTensor(12)
    m.fill_bitmask(row)
    assert unpack(row.data, 258) == [97, 98] and (row.data[9:] == 0).all()
    with pytest.raises(TypeError):
        m.fill_bitmask([0] * 12)
