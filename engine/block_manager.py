"""``BlockManager``: pure-Python bookkeeping of the paged KV cache (which block holds which tokens).

The cache is a pool of ``num_blocks`` blocks of ``block_size`` token slots. A sequence owns a *block table* (block
ids in order); token ``p`` of the sequence lives in slot ``table[p // block_size] * block_size + p % block_size``.

Blocks are reference-counted so sequences can share them:
- prefix caching: a full block whose KV has been computed is registered under a hash of its token ids chained
  with the previous block's hash (so equal hashes mean equal prefixes, checked against the stored ids). A new
  sequence whose prompt starts with registered blocks reuses them instead of recomputing. A freed block keeps
  its registration until it is handed out again, so a repeated prompt finds it even after the first finished.
- forking (``n > 1``): samples share the prompt's full blocks; the partial last block is copied (copy on write),
  since every sample writes its own next tokens into it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Block:
    """One block of the pool.

    Attributes:
        block_id: index in the pool.
        ref_count: number of sequences whose table holds it.
        hash: prefix hash once registered (full and computed), else None.
        token_ids: the ids it holds when registered (to rule out hash collisions).
    """

    block_id: int
    ref_count: int = 0
    hash: int | None = None
    token_ids: tuple[int, ...] = field(default_factory=tuple)


class BlockTable:
    """What the block manager tracks per sequence: its blocks and how many of them are registered."""

    __slots__ = ("blocks", "num_hashed", "last_hash")

    def __init__(self) -> None:
        self.blocks: list[int] = []
        self.num_hashed = 0  # leading blocks registered in the prefix cache (or reused from it)
        self.last_hash: int | None = None  # hash of block num_hashed - 1


def chain_hash(previous: int | None, token_ids: Sequence[int]) -> int:
    """Hash of a full block given the hash of the block before it (None for the first)."""
    return hash((previous, tuple(token_ids)))


class BlockManager:
    """Allocates, shares and frees KV-cache blocks.

    Args:
        num_blocks: blocks in the pool.
        block_size: token slots per block.
        prefix_caching: reuse registered blocks in ``match_prefix`` (off: every prompt is computed).
    """

    def __init__(self, num_blocks: int, block_size: int, prefix_caching: bool = True) -> None:
        if num_blocks < 1 or block_size < 1:
            raise ValueError("num_blocks and block_size must be at least 1")
        self.block_size = block_size
        self.prefix_caching = prefix_caching
        self.blocks = [Block(i) for i in range(num_blocks)]
        # Free blocks in release order: the oldest released is handed out first, so recently freed prefix blocks
        # stay findable longest (an LRU over the evictable cache).
        self._free: OrderedDict[int, None] = OrderedDict((i, None) for i in range(num_blocks))
        self._by_hash: dict[int, int] = {}

    # --- queries -----------------------------------------------------------------------------------------------

    @property
    def num_blocks(self) -> int:
        """Blocks in the pool."""
        return len(self.blocks)

    @property
    def num_free(self) -> int:
        """Blocks not held by any sequence (registered ones included: they are evicted on demand)."""
        return len(self._free)

    def blocks_needed(self, table: BlockTable, num_tokens: int) -> int:
        """How many more blocks ``table`` needs to hold ``num_tokens`` tokens."""
        return max(0, -(-num_tokens // self.block_size) - len(table.blocks))

    # --- allocation --------------------------------------------------------------------------------------------

    def match_prefix(self, table: BlockTable, token_ids: Sequence[int]) -> int:
        """Reuse registered blocks for the start of an empty ``table``; returns the number of tokens reused.

        At least the last token is always left to compute (its logits are needed), so only blocks that end before
        it are matched.
        """
        if table.blocks:
            raise ValueError("match_prefix needs an empty block table")
        bs = self.block_size
        previous: int | None = None
        last = len(token_ids) - bs if self.prefix_caching else 0  # blocks must end before the last token
        for start in range(0, last, bs):
            ids = tuple(token_ids[start : start + bs])
            h = chain_hash(previous, ids)
            block_id = self._by_hash.get(h)
            if block_id is None or self.blocks[block_id].token_ids != ids:
                break
            self._take(block_id, reuse=True)
            table.blocks.append(block_id)
            previous = h
        table.num_hashed, table.last_hash = len(table.blocks), previous
        return len(table.blocks) * bs

    def allocate(self, table: BlockTable, num_tokens: int) -> bool:
        """Grow ``table`` to hold ``num_tokens`` tokens; False (nothing allocated) when too few blocks are free."""
        need = self.blocks_needed(table, num_tokens)
        if need > len(self._free):
            return False
        for _ in range(need):
            block_id = next(iter(self._free))
            self._take(block_id)
            table.blocks.append(block_id)
        return True

    def register(self, table: BlockTable, token_ids: Sequence[int], num_computed: int) -> None:
        """Register the full blocks among the first ``num_computed`` tokens (their KV is now in the cache)."""
        bs = self.block_size
        while (table.num_hashed + 1) * bs <= num_computed:
            i = table.num_hashed
            ids = tuple(token_ids[i * bs : (i + 1) * bs])
            h = chain_hash(table.last_hash, ids)
            block = self.blocks[table.blocks[i]]
            if block.hash is None and h not in self._by_hash:
                block.hash, block.token_ids = h, ids
                self._by_hash[h] = block.block_id
            table.num_hashed, table.last_hash = i + 1, h

    def fork(self, parent: BlockTable, num_tokens: int) -> tuple[BlockTable, list[tuple[int, int]]] | None:
        """A table for a new sample sharing ``parent``'s first ``num_tokens`` tokens.

        Full blocks are shared; a partial last block is copied into a fresh one.

        Returns:
            ``(table, copies)`` where ``copies`` lists ``(src, dst)`` block copies the cache must perform, or None
            when no block is free for the copy.
        """
        n_full, partial = divmod(num_tokens, self.block_size)
        copies: list[tuple[int, int]] = []
        child = BlockTable()
        if partial:
            if not self._free:
                return None
            dst = next(iter(self._free))
            self._take(dst)
            copies.append((parent.blocks[n_full], dst))
        for block_id in parent.blocks[:n_full]:
            self.blocks[block_id].ref_count += 1
            child.blocks.append(block_id)
        if partial:
            child.blocks.append(copies[0][1])
        if parent.num_hashed <= n_full:  # the usual case: registered blocks are all shared
            child.num_hashed, child.last_hash = parent.num_hashed, parent.last_hash
        return child, copies

    def free(self, table: BlockTable) -> None:
        """Drop ``table``'s references; blocks nobody holds return to the free pool (keeping registrations)."""
        for block_id in reversed(table.blocks):
            block = self.blocks[block_id]
            block.ref_count -= 1
            if block.ref_count == 0:
                self._free[block_id] = None
        table.blocks.clear()
        table.num_hashed, table.last_hash = 0, None

    def _take(self, block_id: int, reuse: bool = False) -> None:
        """Add a reference; a free block handed out for new tokens (not ``reuse``) loses its registration."""
        block = self.blocks[block_id]
        if block.ref_count == 0:
            del self._free[block_id]
            if not reuse and block.hash is not None:
                del self._by_hash[block.hash]
                block.hash, block.token_ids = None, ()
        block.ref_count += 1
