"""``Vocabulary``: every token id mapped to its exact bytes, with special and EOS tokens kept apart.

Bytes come from the vocabulary strings, never from per-token ``decode()`` (which turns partial UTF-8 into U+FFFD
and strips SentencePiece spaces): byte-level BPE strings go through the GPT-2 byte<->unicode table, SentencePiece
``<0xHH>`` byte-fallback pieces become one byte, and the metaspace ``▁`` becomes a space.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from constrained.token_trie import TokenTrie

EOS_NAMES = ("</s>", "<|endoftext|>", "<|im_end|>", "<|eot_id|>", "<|end_of_text|>", "<eos>")
_BYTE_PIECE = re.compile(r"<0x([0-9A-Fa-f]{2})>")


def _gpt2_byte_decoder() -> dict[str, int]:
    """GPT-2's printable-unicode stand-in for each byte, inverted (char -> byte)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    chars = list(keep)
    extra = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(keep, chars, strict=True)}


_BYTE_DECODER = _gpt2_byte_decoder()


@dataclass(frozen=True)
class WalkData:
    """What the token index needs, precomputed once per vocabulary.

    Attributes:
        order: ``int32[N]`` ids of walkable tokens (non-empty bytes, not special, not EOS), longest first.
        lengths: ``int32[N]`` byte length per entry of ``order``.
        columns: ``columns[j]`` is ``uint8[counts[j]]``: byte ``j`` of the first ``counts[j]`` tokens in ``order``
            (exactly those longer than ``j``), a ragged column-major layout that avoids padding.
        counts: ``counts[j]`` = number of tokens longer than ``j``.
    """

    order: np.ndarray
    lengths: np.ndarray
    columns: tuple[np.ndarray, ...]
    counts: tuple[int, ...]


class Vocabulary:
    """Token id -> exact bytes; special tokens and EOS ids kept apart.

    Attributes:
        size: number of ids (>= max id + 1); ids without bytes are never allowed by a constraint.
        token_bytes: ``token_bytes[i]`` is the bytes of token ``i`` or None.
        eos_token_ids: ids that end generation (allowed only in accepting states).
        special_token_ids: control tokens, never allowed inside a constraint.
    """

    def __init__(
        self,
        token_bytes: Sequence[bytes | None],
        *,
        eos_token_ids: Iterable[int] = (),
        special_token_ids: Iterable[int] = (),
        size: int | None = None,
    ) -> None:
        """Build from explicit bytes; prefer the ``from_*`` constructors."""
        n = len(token_bytes)
        self.size = max(n, size or 0)
        self.token_bytes: tuple[bytes | None, ...] = tuple(token_bytes) + (None,) * (self.size - n)
        self.eos_token_ids = tuple(sorted(set(eos_token_ids)))
        self.special_token_ids = frozenset(special_token_ids) | frozenset(self.eos_token_ids)
        for t in self.special_token_ids:
            if not 0 <= t < self.size:
                raise ValueError(f"special/EOS token id {t} outside vocabulary of size {self.size}")
        self._lock = threading.Lock()
        self._fingerprint: str | None = None
        self._walk: WalkData | None = None
        self._trie: TokenTrie | None = None

    # --- constructors --------------------------------------------------------------------------------------------

    @classmethod
    def from_token_bytes(
        cls,
        tokens: Sequence[bytes | None],
        eos_token_ids: Iterable[int] | None = None,
        special_token_ids: Iterable[int] | None = None,
        size: int | None = None,
    ) -> Vocabulary:
        """A vocabulary from raw bytes per id (toys and tests).

        Args:
            tokens: bytes of token ``i`` at index ``i`` (None for an unused id).
            eos_token_ids: EOS ids (default none).
            special_token_ids: control-token ids (default none; EOS ids are always special).
            size: pad the id space to this size (e.g. the model's padded embedding size).
        """
        return cls(tokens, eos_token_ids=eos_token_ids or (), special_token_ids=special_token_ids or (), size=size)

    @classmethod
    def from_file(cls, path: str, eos_token_ids: Iterable[int] | None = None, size: int | None = None) -> Vocabulary:
        """A vocabulary from a Hugging Face ``tokenizer.json``."""
        from tokenizers import Tokenizer

        return cls.from_tokenizer(Tokenizer.from_file(str(path)), eos_token_ids=eos_token_ids, size=size)

    @classmethod
    def from_tokenizer(
        cls, tok: Any, eos_token_ids: Iterable[int] | None = None, size: int | None = None
    ) -> Vocabulary:
        """A vocabulary from a ``tokenizers.Tokenizer``.

        Handles byte-level BPE (ByteLevel pre-tokenizer or decoder), SentencePiece byte fallback ``<0xHH>`` and
        metaspace ``▁`` (Metaspace pre-tokenizer/decoder or a ``Replace("▁", " ")`` decoder). Added tokens marked
        special (and the model's unknown token) become special tokens.

        Args:
            tok: a ``tokenizers.Tokenizer``.
            eos_token_ids: EOS ids; default: those of the common EOS names present in the vocabulary (may be none).
            size: pad the id space to this size.
        """
        # Per-component state, not ``tok.to_str()``: serializing a 128k vocabulary's merges costs ~1 s.
        pre, dec = _state(tok.pre_tokenizer), _state(tok.decoder)
        byte_fallback = getattr(tok.model, "byte_fallback", None)
        unk = getattr(tok.model, "unk_token", None)
        if byte_fallback is None:  # models without these attributes (Unigram): read their own state
            model = _state(tok.model) or {}
            byte_fallback, unk = model.get("byte_fallback"), model.get("unk_id")
        parts = [pre, dec]
        byte_level = _find_types(parts, "ByteLevel") != []
        spaces = [m.get("replacement", "▁") for m in _find_types(parts, "Metaspace")]
        for rep in _find_types([dec], "Replace"):
            pattern = rep.get("pattern") or {}
            if rep.get("content") == " " and isinstance(pattern, dict) and "String" in pattern:
                spaces.append(pattern["String"])
        vocab: dict[str, int] = tok.get_vocab(with_added_tokens=True)
        added = tok.get_added_tokens_decoder()
        specials = {i for i, a in added.items() if a.special}
        if isinstance(unk, str) and unk in vocab:
            specials.add(vocab[unk])
        elif isinstance(unk, int):
            specials.add(unk)
        top = max(vocab.values(), default=-1) + 1
        out: list[bytes | None] = [None] * max(top, tok.get_vocab_size(with_added_tokens=True))
        for text, i in vocab.items():
            if i in added:
                out[i] = added[i].content.encode("utf-8")
            elif byte_level:
                try:
                    out[i] = bytes(_BYTE_DECODER[ch] for ch in text)
                except KeyError:
                    out[i] = text.encode("utf-8")
            elif byte_fallback and _BYTE_PIECE.fullmatch(text):
                out[i] = bytes([int(text[3:5], 16)])
            else:
                for rep_char in spaces:
                    text = text.replace(rep_char, " ")
                out[i] = text.encode("utf-8")
        if eos_token_ids is None:
            eos_token_ids = [vocab[name] for name in EOS_NAMES if name in vocab]
        return cls(out, eos_token_ids=eos_token_ids, special_token_ids=specials, size=size)

    # --- derived data --------------------------------------------------------------------------------------------

    def fingerprint(self) -> str:
        """sha256 hex over every token's bytes, the special ids and the EOS ids (cache key part)."""
        with self._lock:
            if self._fingerprint is None:
                h = hashlib.sha256(f"vocab-v1:{self.size}:".encode())
                for b in self.token_bytes:
                    h.update(b"\xff" if b is None else len(b).to_bytes(4, "little") + b)
                h.update(repr(sorted(self.special_token_ids)).encode())
                h.update(repr(self.eos_token_ids).encode())
                self._fingerprint = h.hexdigest()
            return self._fingerprint

    def walkable(self, token_id: int) -> bool:
        """Whether a constraint may ever allow ``token_id`` as ordinary text."""
        b = self.token_bytes[token_id]
        return bool(b) and token_id not in self.special_token_ids

    def walk_data(self) -> WalkData:
        """Length-sorted, column-major token bytes for vectorized DFA walks (computed once, cached)."""
        with self._lock:
            if self._walk is None:
                self._walk = self._build_walk_data()
            return self._walk

    def precompute(self) -> None:
        """Build the per-vocabulary mask data now (walk data, token trie, compiled kernels) instead of lazily.

        Call it once after loading a tokenizer: otherwise the first mask of the process pays it (~1-2 s on a
        128k vocabulary, most of it loading the compiled kernels).
        """
        from constrained.token_trie import kernels
        from constrained.warmup import warm_up

        if kernels() is None:
            self.walk_data()  # what the numpy walks use
        self.trie()
        warm_up()

    def trie(self) -> TokenTrie:
        """Walkable tokens sorted by bytes, as a trie for compiled mask walks (computed once, cached)."""
        from constrained.token_trie import build_trie

        with self._lock:
            if self._trie is None:
                self._trie = build_trie(self)
            return self._trie

    def _build_walk_data(self) -> WalkData:
        ids = np.array([i for i in range(self.size) if self.walkable(i)], dtype=np.int32)
        lengths = np.array([len(self.token_bytes[i] or b"") for i in ids.tolist()], dtype=np.int32)
        perm = np.argsort(-lengths, kind="stable")
        order, lengths = ids[perm], lengths[perm]
        buf = np.frombuffer(b"".join(self.token_bytes[i] or b"" for i in order.tolist()), dtype=np.uint8)
        starts = np.zeros(len(order), dtype=np.int64)
        if len(order):
            np.cumsum(lengths[:-1], out=starts[1:])
        max_len = int(lengths[0]) if len(order) else 0
        # lengths are descending, so "longer than j" is a prefix of ``order``.
        counts = [int(np.searchsorted(-lengths, -j, side="left")) for j in range(max_len)]
        columns = tuple(buf[starts[: counts[j]] + j] for j in range(max_len))
        frozen: list[np.ndarray] = [order, lengths, *columns]
        for arr in frozen:
            arr.flags.writeable = False
        return WalkData(order, lengths, columns, tuple(counts))

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"Vocabulary(size={self.size}, eos={list(self.eos_token_ids)}, specials={len(self.special_token_ids)})"


def _state(component: Any) -> dict[str, Any] | None:
    """A tokenizers component's JSON config (``__getstate__``), or None."""
    if component is None:
        return None
    try:
        state = json.loads(component.__getstate__())
    except (AttributeError, TypeError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _find_types(parts: list[Any], name: str) -> list[dict[str, Any]]:
    """Components of type ``name`` inside (possibly nested ``Sequence``) pre-tokenizer/decoder configs."""
    found: list[dict[str, Any]] = []
    stack = [p for p in parts if p]
    while stack:
        part = stack.pop()
        if isinstance(part, dict):
            if part.get("type") == name:
                found.append(part)
            stack.extend(v for k, v in part.items() if k in ("pretokenizers", "decoders") and v)
        elif isinstance(part, list):
            stack.extend(part)
    return found
