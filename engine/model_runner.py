"""``ModelRunner``: turns a scheduled batch into the packed forward's tensors, runs it, returns logits.

The batch is packed into one row: decode tokens (one per sequence) first, then prefill chunks. Per token it
builds the position and the cache slot to write; per group the key slots to read (a view when a sequence's
blocks are consecutive, else gathered indices padded to the longest with a mask).
"""

from __future__ import annotations

from collections.abc import Sequence as Seq

import torch
from torch import Tensor

from engine.kv_cache import KeySlots, PagedKVCache, PagedStep, PrefillChunk
from engine.model import Transformer
from engine.sequence import Sequence


class ModelRunner:
    """Runs the model over the paged cache.

    Args:
        model: the decoder (eval mode, on ``device``).
        cache: the paged cache.
    """

    def __init__(self, model: Transformer, cache: PagedKVCache) -> None:
        self.model = model
        self.cache = cache
        self.device = model.tok_embeddings.weight.device
        self.block_size = cache.block_size

    @torch.inference_mode()
    def forward(self, chunks: Seq[tuple[Sequence, int]], logits_for: Seq[int]) -> Tensor:
        """Run the model over ``chunks`` (one-token steps first) and return logits ``[len(logits_for), V]``.

        Args:
            chunks: ``(sequence, n)``: run its tokens ``num_computed .. num_computed + n`` (blocks allocated).
            logits_for: indices into ``chunks`` whose last token's logits are wanted, in output order.
        """
        step, tokens, positions = self.prepare(chunks, logits_for)
        logits = self.model(tokens, positions, step)  # [1, M, V]
        if not bool(torch.isfinite(logits).all()):
            # A half-precision product overflowed (weights stored in float16): redo the step in full precision.
            # It rewrites the same cache slots, so nothing of the failed pass remains.
            with self.model.full_precision():
                logits = self.model(tokens, positions, step)
        return logits[0]

    def prepare(self, chunks: Seq[tuple[Sequence, int]], logits_for: Seq[int]) -> tuple[PagedStep, Tensor, Tensor]:
        """Build the ``PagedStep`` and the packed ``tokens``/``positions`` ``[1, N]``."""
        bs = self.block_size
        token_list: list[int] = []
        pos_list: list[int] = []
        slots: list[int] = []
        ends: list[int] = []
        for seq, n in chunks:
            start = seq.num_computed
            token_list.extend(seq.token_ids[start : start + n])
            pos_list.extend(range(start, start + n))
            table = seq.table.blocks
            slots.extend(table[p // bs] * bs + p % bs for p in range(start, start + n))
            ends.append(len(token_list) - 1)
        num_decodes = 0
        while num_decodes < len(chunks) and chunks[num_decodes][1] == 1:
            num_decodes += 1
        decode_keys, decode_mask = self._decode_keys([seq for seq, _ in chunks[:num_decodes]])
        prefills = []
        offset = num_decodes
        for seq, n in chunks[num_decodes:]:
            prefills.append(self._prefill_chunk(seq, n, offset))
            offset += n
        generated = 0  # leading one-token steps that run in half precision (the scheduler puts them first)
        while generated < num_decodes and chunks[generated][0].decodes_in_half_precision:
            generated += 1
        wanted = [ends[i] for i in logits_for]
        generated_logits = 0
        while generated_logits < len(wanted) and wanted[generated_logits] < generated:
            generated_logits += 1
        dev = self.device
        step = PagedStep(
            cache=self.cache,
            slot_mapping=torch.tensor(slots, dtype=torch.long, device=dev),
            single_slot=slots[0] if len(slots) == 1 else None,
            num_decodes=num_decodes,
            decode_keys=decode_keys,
            decode_mask=decode_mask,
            prefills=prefills,
            logits_indices=torch.tensor(wanted, dtype=torch.long, device=dev),
            num_generated=generated,
            num_generated_logits=generated_logits,
        )
        tokens = torch.tensor([token_list], dtype=torch.long, device=dev)
        positions = torch.tensor([pos_list], dtype=torch.long, device=dev)
        return step, tokens, positions

    def _key_slots(self, tables: list[list[int]], lengths: list[int]) -> KeySlots:
        """Key slots of positions ``0..length-1`` per sequence: a range when there is one consecutive table."""
        bs = self.block_size
        if len(tables) == 1:
            table, length = tables[0], lengths[0]
            used = table[: -(-length // bs)]
            if all(b == used[0] + i for i, b in enumerate(used)):
                return KeySlots(used[0] * bs, length, None)
        width = max(lengths)
        n_blocks = -(-width // bs)
        bt = torch.tensor([(t[:n_blocks] + [0] * n_blocks)[:n_blocks] for t in tables], dtype=torch.long)
        pos = torch.arange(width)
        index = bt[:, pos // bs] * bs + pos % bs  # [B, S]
        return KeySlots(0, width, index.to(self.device))

    def _decode_keys(self, seqs: list[Sequence]) -> tuple[KeySlots | None, Tensor | None]:
        if not seqs:
            return None, None
        lengths = [s.num_computed + 1 for s in seqs]
        keys = self._key_slots([s.table.blocks for s in seqs], lengths)
        if min(lengths) == max(lengths):
            return keys, None
        width = max(lengths)
        mask = torch.arange(width).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)  # [D, S]
        return keys, mask.view(len(seqs), 1, 1, width).to(self.device)

    def _prefill_chunk(self, seq: Sequence, n: int, offset: int) -> PrefillChunk:
        start = seq.num_computed
        length = start + n
        keys = self._key_slots([seq.table.blocks], [length])
        q_pos = torch.arange(start, length).unsqueeze(1)  # [T, 1]
        mask = (torch.arange(length).unsqueeze(0) <= q_pos).view(1, 1, n, length)
        return PrefillChunk(offset, n, keys, mask.to(self.device))
