"""``Request`` (what a caller asked for) and ``Sequence`` (one sample being generated, the scheduler's unit).

A request with ``n`` samples starts as one sequence (sample 0) that prefills the prompt; when its prompt is done
the engine forks samples ``1..n-1`` from it, sharing the prompt's KV blocks.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, field
from typing import Any

import torch

from engine.block_manager import BlockTable
from engine.output_processor import SequenceOutputProcessor
from engine.sampling_params import SamplingParams


class SequenceStatus(enum.Enum):
    """Where a sequence is: in the waiting queue, scheduled every step, or done."""

    WAITING = "waiting"
    RUNNING = "running"
    FINISHED = "finished"


_ids = itertools.count()


class Sequence:
    """One sample: its tokens, how many have KV in the cache, its blocks, and its per-sample state.

    Attributes:
        seq_id: unique id (engine-wide).
        request: the request it belongs to.
        index: sample index in ``0..n-1``.
        token_ids: prompt followed by generated ids (forced tokens included).
        num_prompt_tokens: prompt length.
        num_computed: leading tokens whose keys/values are in the cache.
        table: its KV blocks.
        generator: its seeded random stream (None: the global one).
        matcher: its constraint cursor, or None.
        processor: turns its tokens into text and finish reasons.
        error: why it was failed, when it was (a constraint rejection or a failed step).
    """

    def __init__(
        self,
        request: Request,
        index: int,
        token_ids: list[int],
        generator: torch.Generator | None,
        matcher: Any,
        processor: SequenceOutputProcessor,
    ) -> None:
        self.seq_id = next(_ids)
        self.request = request
        self.index = index
        self.token_ids = token_ids
        self.num_prompt_tokens = len(request.prompt_token_ids)
        self.num_computed = 0
        self.table = BlockTable()
        self.status = SequenceStatus.WAITING
        self.generator = generator
        self.matcher = matcher
        self.processor = processor
        self.error: str | None = None

    @property
    def num_tokens(self) -> int:
        """Prompt plus generated tokens."""
        return len(self.token_ids)

    @property
    def num_pending(self) -> int:
        """Tokens still to run through the model (the whole prompt at first, then one per step)."""
        return len(self.token_ids) - self.num_computed

    @property
    def output_ids(self) -> list[int]:
        """Generated ids."""
        return self.token_ids[self.num_prompt_tokens :]

    @property
    def decodes_in_half_precision(self) -> bool:
        """Whether its next one-token step may use the float16 weight copies (``engine.model.Linear``).

        Only for generated tokens (prompt rows are float32) of unseeded requests: float16 rounding turns the
        tiny differences that batching or the prefix cache make into visible ones, and a seed promises the same
        output every time.
        """
        return self.num_computed >= self.num_prompt_tokens and self.request.params.seed is None

    @property
    def sort_key(self) -> tuple[int, float, int, int]:
        """Scheduling order: priority (lower first), then arrival, then sample index."""
        return (self.request.priority, self.request.arrival, self.request.serial, self.index)

    def __repr__(self) -> str:
        progress = f"{self.num_computed}/{self.num_tokens}"
        return f"Sequence({self.request.request_id!r}#{self.index}, {self.status.value}, {progress})"


@dataclass
class Request:
    """One ``add_request`` call.

    Attributes:
        request_id: the caller's id.
        prompt_token_ids: the prompt.
        params: sampling settings (validated).
        priority: lower is scheduled first; FIFO within a priority.
        arrival: ``time.monotonic()`` at arrival.
        serial: arrival order (ties of ``arrival``).
        processors: one per sample, created up front so outputs exist before the fork.
        sequences: the live sequences (sample 0 first; the others after the fork).
        pending: samples not yet forked (their generators and matchers wait here).
        num_cached_tokens: prompt tokens reused from the prefix cache.
    """

    request_id: str
    prompt_token_ids: list[int]
    params: SamplingParams
    priority: int
    arrival: float
    serial: int
    processors: list[SequenceOutputProcessor]
    sequences: list[Sequence] = field(default_factory=list)
    pending: list[tuple[int, torch.Generator | None, Any]] = field(default_factory=list)
    num_cached_tokens: int = 0

    @property
    def finished(self) -> bool:
        """Every sample is done."""
        return all(p.finished for p in self.processors)
