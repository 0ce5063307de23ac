"""``TokenTrie``: a vocabulary's walkable tokens sorted by bytes, as a preorder trie for compiled walks.

Built once per ``Vocabulary`` (``Vocabulary.trie()``) and shared by the regex ``TokenIndex`` and the grammar
``GrammarMaskIndex``. A walk against a DFA visits each trie node at most once and skips a whole subtree as soon
as its prefix dies, so a restrictive state costs a few hundred steps instead of one step per token byte.

The walks run in numba (``trie_kernels``) when it is importable and not disabled with ``CONSTRAINED_NO_JIT=1``;
otherwise callers use their pure numpy walks, which stay the reference the tests compare the kernels against.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from constrained.vocab import Vocabulary

_kernels: ModuleType | None = None
_kernels_tried = False
_kernels_lock = threading.Lock()


def kernels() -> ModuleType | None:
    """The compiled kernels module, or None without numba (or with ``CONSTRAINED_NO_JIT=1``)."""
    global _kernels, _kernels_tried
    with _kernels_lock:
        if not _kernels_tried:
            _kernels_tried = True
            if os.environ.get("CONSTRAINED_NO_JIT", "") not in ("", "0"):
                return None
            try:
                from constrained import trie_kernels
            except ImportError:
                return None
            _kernels = trie_kernels
        return _kernels


def set_jit_enabled(enabled: bool) -> None:
    """Turn the compiled walks on or off for new indexes (tests use it to exercise the reference paths)."""
    global _kernels, _kernels_tried
    with _kernels_lock:
        _kernels, _kernels_tried = None, not enabled
    if enabled:
        kernels()


# Byte groups summarizing a trie subtree (at most 30): bytes that regexes and JSON tell apart get their own group
# (a coarser grouping only makes fewer subtrees skippable, never a wrong mask).
BYTE_GROUPS: tuple[bytes, ...] = (
    bytes(b for b in range(0x20) if b not in b"\t\n\r"),
    b"\t", b"\n", b"\r", b" ", b'"', b"\\", b"0123456789", b"abcdef", bytes(range(ord("g"), ord("z") + 1)),
    b"ABCDEF", bytes(range(ord("G"), ord("Z") + 1)), b"_", b"-", b".", b",", b":", b"{", b"}", b"[", b"]",
    b"'", b"/", b"+", b"!#$%&()*;<=>?@^`|~", b"\x7f", bytes(range(0x80, 0xC0)), bytes(range(0xC0, 0xE0)),
    bytes(range(0xE0, 0xF0)), bytes(range(0xF0, 0x100)),
)  # fmt: skip


def _group_of_byte() -> np.ndarray:
    out = np.zeros(256, dtype=np.uint32)
    for g, members in enumerate(BYTE_GROUPS):
        for b in members:
            out[b] |= np.uint32(1 << g)
    # trie_kernels relies on: groups 0-25 are the ASCII bytes, 26-29 the rest; bits 30-31 are flags.
    assert (out != 0).all() and len(BYTE_GROUPS) <= 30
    assert (out[:128] < (1 << 26)).all() and (out[128:] >= (1 << 26)).all()
    out.flags.writeable = False
    return out


GROUP_OF_BYTE = _group_of_byte()


@dataclass(frozen=True)
class TokenTrie:
    """Walkable tokens in byte order, their bytes back to back, and (with numba) the preorder trie over them.

    Attributes:
        sorted_ids: ``int32[n]`` walkable token ids sorted by bytes (ties by id); a token's position is its rank.
        starts: ``int64[n + 1]`` offsets of each rank's bytes in ``buf``.
        buf: ``uint8[total]`` every token's bytes in rank order.
        rank_of_id: ``int64[vocab size]`` each id's rank; ``n`` (one past the last rank) for ids never walkable.
        kernel_arrays: ``(byte, depth, end, first, count, groups, group_of_byte, max_depth, sorted_ids, rank_of_id,
            walkable_words)`` for ``trie_kernels``;
            None without numba.
    """

    sorted_ids: np.ndarray
    starts: np.ndarray
    buf: np.ndarray
    rank_of_id: np.ndarray
    kernel_arrays: tuple[Any, ...] | None
    _local: threading.local = field(default_factory=threading.local, repr=False, compare=False)

    @cached_property
    def end_of(self) -> np.ndarray:
        """``int64[total]``: for each position in ``buf``, where the token holding that byte ends."""
        out = np.repeat(self.starts[1:], np.diff(self.starts))
        out.flags.writeable = False
        return out

    @property
    def num_nodes(self) -> int:
        """Trie nodes, root excluded (0 without numba)."""
        return 0 if self.kernel_arrays is None else len(self.kernel_arrays[0])

    def scratch(self) -> tuple[np.ndarray, ...]:
        """This thread's reusable work arrays for the kernels (fresh pages cost more than the walk itself)."""
        assert self.kernel_arrays is not None
        got: tuple[np.ndarray, ...] | None = getattr(self._local, "scratch", None)
        if got is None:
            got = (
                np.empty(self.num_nodes + 1, dtype=np.int64),
                np.empty(self.num_nodes + 1, dtype=np.int64),
                np.empty(self.kernel_arrays[7] + 1, dtype=np.int64),
                np.zeros(len(self.sorted_ids) + 1, dtype=np.uint8),
            )
            self._local.scratch = got
        return got


def build_trie(vocab: Vocabulary) -> TokenTrie:
    """Sort the walkable tokens by bytes and build the trie (use ``Vocabulary.trie()``, which caches it)."""
    tb = vocab.token_bytes
    ids = [i for i in range(vocab.size) if vocab.walkable(i)]
    ids.sort(key=lambda i: tb[i] or b"")
    blobs = [tb[i] or b"" for i in ids]
    lengths = np.array([len(b) for b in blobs], dtype=np.int64)
    starts = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    buf = np.frombuffer(b"".join(blobs), dtype=np.uint8)
    sorted_ids = np.array(ids, dtype=np.int32)
    rank_of_id = np.full(vocab.size, len(ids), dtype=np.int32)
    rank_of_id[sorted_ids] = np.arange(len(ids))
    k = kernels()
    arrays: tuple[Any, ...] | None = None
    if k is not None:
        built = k.build_trie(buf, starts, GROUP_OF_BYTE)
        depth = built[1]
        bits = np.zeros((vocab.size + 63) // 64 * 64, dtype=bool)
        bits[sorted_ids] = True
        walkable = np.packbits(bits, bitorder="little").view("<i8").astype(np.int64)
        arrays = (*built, GROUP_OF_BYTE, int(depth.max()) if len(depth) else 0, sorted_ids, rank_of_id, walkable)
    for arr in (sorted_ids, starts, buf, rank_of_id, *(arrays or ())):
        if isinstance(arr, np.ndarray):
            arr.flags.writeable = False
    return TokenTrie(sorted_ids, starts, buf, rank_of_id, arrays)
