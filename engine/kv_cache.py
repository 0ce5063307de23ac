"""The paged KV cache: one pool of token slots per layer, and the per-step view the attention layers use.

``PagedKVCache`` holds ``k``/``v`` of shape ``[n_layers, num_blocks * block_size, n_kv_heads, head_dim]`` (a slot is
one token; block ``b`` owns slots ``b * block_size ..``). ``PagedStep`` describes one forward over a *packed*
batch: all scheduled tokens of all sequences in one row ``[1, N]``, decode tokens (one per sequence) first, then
the prefill chunks. Each attention layer hands its new keys/values and queries to ``PagedStep.attend``, which
writes them into their slots and runs attention per group:
- decodes: one batched matmul over the keys gathered by block table, padded to the longest and masked; for a
  single sequence whose blocks are consecutive (the usual batch-1 case) the keys are a view, not a copy;
- prefill chunks: one attention per chunk over its keys, causal with the chunk's offset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from engine.model_config import ModelArgs

# Prefill chunks up to this many queries use the grouped two-matmul attention (as the contiguous path does).
_SMALL_T = 8

# (q [B, T, H, hd], keys [B, n_kv, S, hd], values, mask [B, 1, T, S] or None) -> [B, T, H, hd]
AttentionFn = Callable[[Tensor, Tensor, Tensor, "Tensor | None"], Tensor]


class PagedKVCache:
    """Key/value slot pools for every layer, allocated once.

    Args:
        args: model hyper-parameters (layers, kv heads, head size).
        num_blocks: blocks in the pool.
        block_size: slots per block.
        dtype: element type of the cache.
        device: where the pools live.
    """

    def __init__(
        self,
        args: ModelArgs,
        num_blocks: int,
        block_size: int,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str = "cpu",
    ) -> None:
        shape = (args.n_layers, num_blocks * block_size, args.n_kv_heads, args.head_dim)
        self.k = torch.zeros(shape, dtype=dtype, device=device)
        self.v = torch.zeros(shape, dtype=dtype, device=device)
        self.num_blocks, self.block_size = num_blocks, block_size

    def copy_blocks(self, copies: Sequence[tuple[int, int]]) -> None:
        """Copy whole blocks ``src -> dst`` in every layer (copy on write for forked samples)."""
        bs = self.block_size
        for src, dst in copies:
            self.k[:, dst * bs : (dst + 1) * bs] = self.k[:, src * bs : (src + 1) * bs]
            self.v[:, dst * bs : (dst + 1) * bs] = self.v[:, src * bs : (src + 1) * bs]

    @staticmethod
    def bytes_per_block(args: ModelArgs, block_size: int, dtype: torch.dtype) -> int:
        """Memory one block takes over all layers (keys and values)."""
        itemsize = torch.empty((), dtype=dtype).element_size()
        return 2 * args.n_layers * block_size * args.n_kv_heads * args.head_dim * itemsize


@dataclass
class KeySlots:
    """Where the keys of one attention group are: a contiguous slot range (a view) or gathered slot indices.

    Attributes:
        start: first slot of a contiguous range (when ``index`` is None).
        length: number of key positions.
        index: ``[B, S]`` slot indices to gather, or None for the contiguous range.
    """

    start: int
    length: int
    index: Tensor | None

    def select(self, pool: Tensor) -> Tensor:
        """Keys or values ``[B, n_kv, S, hd]`` from a layer's pool ``[slots, n_kv, hd]``."""
        if self.index is None:
            return pool[self.start : self.start + self.length].unsqueeze(0).transpose(1, 2)
        return pool[self.index].transpose(1, 2)


@dataclass
class PrefillChunk:
    """One sequence's chunk of ``length`` query tokens starting at packed offset ``offset``."""

    offset: int
    length: int
    keys: KeySlots
    mask: Tensor | None  # [1, 1, T, S] causal-with-offset (True = attend); None when T == 1


@dataclass
class PagedStep:
    """One packed forward over the paged cache.

    Attributes:
        cache: the cache to read and write.
        slot_mapping: ``[N]`` slot of every scheduled token (packed order).
        single_slot: the slot as an int when N == 1 (a strided copy instead of an index write).
        num_decodes: the first ``num_decodes`` packed tokens are one-token steps of distinct sequences.
        decode_keys: their keys (``[num_decodes, S]`` gathered, or a range when there is one).
        decode_mask: ``[num_decodes, 1, 1, S]`` (True = attend), None when no padding is needed.
        prefills: the multi-token chunks after the decodes.
        logits_indices: ``[M]`` packed positions whose logits the caller wants.
        num_generated: the first packed tokens that are one-token steps of generated tokens which may use the
            float16 weight copies (``Sequence.decodes_in_half_precision``).
        num_generated_logits: how many of ``logits_indices``, from the first, point at those.
    """

    cache: PagedKVCache
    slot_mapping: Tensor
    single_slot: int | None
    num_decodes: int
    decode_keys: KeySlots | None
    decode_mask: Tensor | None
    prefills: list[PrefillChunk]
    logits_indices: Tensor
    num_generated: int = 0
    num_generated_logits: int = 0

    def attend(self, layer: int, q: Tensor, k: Tensor, v: Tensor, grouped: AttentionFn) -> Tensor:
        """Write ``k``/``v`` ``[1, N, n_kv, hd]`` into the cache and attend with ``q`` ``[1, N, H, hd]``.

        Returns:
            ``[1, N, H, hd]`` attention outputs in packed order.
        """
        k_pool, v_pool = self.cache.k[layer], self.cache.v[layer]
        if self.single_slot is not None:
            k_pool[self.single_slot].copy_(k[0, 0])
            v_pool[self.single_slot].copy_(v[0, 0])
        else:
            k_pool.index_copy_(0, self.slot_mapping, k[0].to(k_pool.dtype))
            v_pool.index_copy_(0, self.slot_mapping, v[0].to(v_pool.dtype))
        outs: list[Tensor] = []
        d = self.num_decodes
        if d and self.decode_keys is not None:
            qd = q[0, :d].unsqueeze(1)  # [D, 1, H, hd]
            keys, values = self.decode_keys.select(k_pool), self.decode_keys.select(v_pool)
            outs.append(grouped(qd, keys, values, self.decode_mask).reshape(1, d, *q.shape[2:]))
        for chunk in self.prefills:
            qp = q[:, chunk.offset : chunk.offset + chunk.length]
            keys, values = chunk.keys.select(k_pool), chunk.keys.select(v_pool)
            if chunk.length <= _SMALL_T:
                outs.append(grouped(qp, keys, values, chunk.mask))
            else:
                outs.append(
                    F.scaled_dot_product_attention(
                        qp.transpose(1, 2), keys, values, attn_mask=chunk.mask, enable_gqa=keys.shape[1] != q.shape[2]
                    ).transpose(1, 2)
                )
        return outs[0] if len(outs) == 1 else torch.cat(outs, dim=1)
