"""``Scheduler``: continuous batching over the paged cache (pure Python, no torch).

Every step, within a token budget:
1. running sequences, most urgent first (priority, then arrival), each get their pending tokens: one for a
   decode, a chunk for an unfinished prefill. When the cache has no block for one, the least urgent running
   sequence is preempted: its blocks are freed and it goes back to the waiting queue, to be recomputed later
   (the prefix cache usually hands most of its blocks back);
2. then, if nothing was preempted, waiting sequences are admitted in order while the budget, the sequence limit
   and the free blocks allow; a long prompt is prefilled in chunks over several steps.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.block_manager import BlockManager
from engine.sequence import Sequence, SequenceStatus


@dataclass
class ScheduledBatch:
    """What one step runs.

    Attributes:
        chunks: ``(sequence, number of tokens)``; one-token steps first (those in half precision first), then
            multi-token prefill chunks.
        preempted: sequences sent back to the waiting queue this step.
    """

    chunks: list[tuple[Sequence, int]] = field(default_factory=list)
    preempted: list[Sequence] = field(default_factory=list)

    @property
    def num_tokens(self) -> int:
        """Tokens in the batch."""
        return sum(n for _, n in self.chunks)


class Scheduler:
    """Queues and admission.

    Args:
        blocks: the KV block manager.
        max_num_seqs: most sequences running at once.
        max_num_batched_tokens: most tokens per step (decodes count one each).
    """

    def __init__(self, blocks: BlockManager, max_num_seqs: int, max_num_batched_tokens: int) -> None:
        self.blocks = blocks
        self.max_num_seqs = max_num_seqs
        self.max_num_batched_tokens = max_num_batched_tokens
        self.waiting: list[Sequence] = []  # kept sorted by ``Sequence.sort_key``
        self.running: list[Sequence] = []

    def add(self, seq: Sequence) -> None:
        """Queue a new (or preempted) sequence."""
        seq.status = SequenceStatus.WAITING
        bisect.insort(self.waiting, seq, key=lambda s: s.sort_key)

    def add_running(self, seq: Sequence) -> None:
        """Add a sequence that already holds its blocks (a forked sample)."""
        seq.status = SequenceStatus.RUNNING
        self.running.append(seq)

    def finish(self, seq: Sequence) -> None:
        """Drop ``seq`` from the queues and free its blocks."""
        if seq in self.running:
            self.running.remove(seq)
        elif seq in self.waiting:
            self.waiting.remove(seq)
        self.blocks.free(seq.table)
        seq.status = SequenceStatus.FINISHED

    def has_unfinished(self) -> bool:
        """Whether any sequence is waiting or running."""
        return bool(self.waiting or self.running)

    def schedule(self) -> ScheduledBatch:
        """Pick this step's tokens (see the module docstring)."""
        batch = ScheduledBatch()
        budget = self.max_num_batched_tokens
        self.running.sort(key=lambda s: s.sort_key)
        i = 0
        while i < len(self.running) and budget > 0:
            seq = self.running[i]
            n = min(seq.num_pending, budget)
            while not self.blocks.allocate(seq.table, seq.num_computed + n):
                victim = self.running[-1]  # least urgent; never one already scheduled (those are before i)
                self._preempt(victim)
                batch.preempted.append(victim)
                if victim is seq:
                    break
            if seq.status is not SequenceStatus.RUNNING:
                break
            batch.chunks.append((seq, n))
            budget -= n
            i += 1
        while self.waiting and budget > 0 and len(self.running) < self.max_num_seqs and not batch.preempted:
            seq = self.waiting[0]
            seq.num_computed = self.blocks.match_prefix(seq.table, seq.token_ids)  # waiting tables are empty
            if seq.index == 0 and seq.num_tokens == seq.num_prompt_tokens:
                seq.request.num_cached_tokens = seq.num_computed
            n = min(seq.num_pending, budget)
            if not self.blocks.allocate(seq.table, seq.num_computed + n):
                # Let go of the matched prefix (it stays registered, so the retry finds it again): a waiting
                # sequence holding blocks could starve the running ones into a deadlock.
                self.blocks.free(seq.table)
                seq.num_computed = 0
                break
            self.waiting.pop(0)
            seq.status = SequenceStatus.RUNNING
            self.running.append(seq)
            batch.chunks.append((seq, n))
            budget -= n
        # Stable: one-token steps first, those that may run in half precision before the others (the model runs
        # them apart, see ``Sequence.decodes_in_half_precision``), then multi-token prefill chunks.
        batch.chunks.sort(key=lambda c: (c[1] > 1, not c[0].decodes_in_half_precision))
        return batch

    def commit_chunks(self, chunks: Iterable[tuple[Sequence, int]]) -> None:
        """Record that ``chunks`` ran: their tokens are in the cache; register newly full blocks for reuse."""
        for seq, n in chunks:
            seq.num_computed += n
            self.blocks.register(seq.table, seq.token_ids, seq.num_computed)

    def _preempt(self, seq: Sequence) -> None:
        self.running.remove(seq)
        self.blocks.free(seq.table)
        seq.num_computed = 0
        self.add(seq)
