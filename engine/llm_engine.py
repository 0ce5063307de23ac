"""``LLMEngine``: the synchronous core; ``step()`` reads as a straight pipeline.

schedule -> forward (launched) -> fork new samples -> fill constraint masks (on the CPU, while a GPU forward
runs) -> apply masks -> sample -> advance matchers and append tokens (jump forward where safe) -> outputs.

A failure never takes down more than it must: a token a constraint rejects ends that sample; an exception in the
forward fails the requests of that batch; either way the engine keeps serving the rest (``pop_errors`` says why).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence as Seq
from dataclasses import dataclass

import torch

from constrained import ConstraintError
from engine.block_manager import BlockManager
from engine.config import EngineConfig
from engine.constraint_step import ConstraintMasks, jump_forward_tokens
from engine.kv_cache import PagedKVCache
from engine.loader import LoadedModel
from engine.logits_processors import check_params
from engine.model_runner import ModelRunner
from engine.output_processor import SequenceOutputProcessor
from engine.outputs import RequestOutput, TokenLogprob
from engine.sampler import NO_VALID_TOKEN, Sampler, SamplingRow, new_generator
from engine.sampling_params import SamplingParams
from engine.scheduler import Scheduler
from engine.sequence import Request, Sequence

logger = logging.getLogger(__name__)

_DEFAULT_CPU_KV_BYTES = 512 << 20
_CUDA_FREE_FRACTION = 0.4


@dataclass(frozen=True)
class EngineStats:
    """A snapshot for monitoring (``/metrics``)."""

    num_running: int
    num_waiting: int
    kv_blocks_used: int
    kv_blocks_total: int
    prompt_tokens_total: int
    generation_tokens_total: int


class LLMEngine:
    """Continuous-batching generation over a paged KV cache.

    Args:
        loaded: the model (``engine.loader.load_model``).
        config: engine settings.
    """

    def __init__(self, loaded: LoadedModel, config: EngineConfig | None = None) -> None:
        self.loaded = loaded
        self.config = cfg = config or EngineConfig()
        args, device = loaded.args, loaded.device
        if device.type == "cpu":
            torch.set_num_threads(cfg.num_threads or os.cpu_count() or 1)
        want_len = cfg.max_model_len or args.max_seq_len
        per_block = PagedKVCache.bytes_per_block(args, cfg.block_size, torch.float32)
        num_blocks = cfg.num_blocks or self._auto_num_blocks(per_block, want_len, device)
        self.max_model_len = min(want_len, num_blocks * cfg.block_size)
        self.cache = PagedKVCache(args, num_blocks, cfg.block_size, torch.float32, device)
        self.blocks = BlockManager(num_blocks, cfg.block_size, cfg.enable_prefix_caching)
        self.scheduler = Scheduler(self.blocks, cfg.max_num_seqs, cfg.max_num_batched_tokens)
        self.runner = ModelRunner(loaded.model, self.cache)
        self.sampler = Sampler(args.vocab_size, loaded.eos_token_ids)
        self.masks = ConstraintMasks(args.vocab_size, device)
        self.requests: dict[str, Request] = {}
        self._aborted: list[Request] = []
        self._errors: dict[str, str] = {}
        self._serial = 0
        self.prompt_tokens_total = 0
        self.generation_tokens_total = 0
        if cfg.warmup:
            self._warmup()

    def _auto_num_blocks(self, per_block: int, max_len: int, device: torch.device) -> int:
        budget = self.config.kv_cache_memory
        if budget is None:
            budget = (
                int(torch.cuda.mem_get_info(device)[0] * _CUDA_FREE_FRACTION)
                if device.type == "cuda"
                else _DEFAULT_CPU_KV_BYTES
            )
        per_seq = -(-max_len // self.config.block_size)
        return max(1, min(budget // per_block, per_seq * self.config.max_num_seqs))

    def _warmup(self) -> None:
        """One prefill and one decode, so lazy initialisation is not billed to the first request."""
        self.add_request("__warmup__", [0, 0, 0], SamplingParams(temperature=0.0, max_tokens=2, ignore_eos=True))
        while self.has_unfinished():
            self.step()
        self.prompt_tokens_total = self.generation_tokens_total = 0

    # --- requests ------------------------------------------------------------------------------------------------

    def add_request(
        self, request_id: str, prompt_token_ids: Seq[int], params: SamplingParams, priority: int = 0
    ) -> None:
        """Queue a request.

        Args:
            request_id: unique among unfinished requests.
            prompt_token_ids: the prompt (at least one id, each below the vocabulary size).
            params: sampling settings (validated here).
            priority: lower is served first; FIFO within a priority.

        Raises:
            ValueError: duplicate id, bad settings (the message names the field), an empty or out-of-range
                prompt, or a prompt too long for ``max_model_len``.
        """
        if request_id in self.requests:
            raise ValueError(f"request id {request_id!r} is already in use")
        params.validate()
        vocab_size = self.loaded.args.vocab_size
        check_params(params, vocab_size)
        prompt = [int(t) for t in prompt_token_ids]
        if not prompt:
            raise ValueError("prompt must hold at least one token")
        bad = next((t for t in prompt if not 0 <= t < vocab_size), None)
        if bad is not None:
            raise ValueError(f"prompt token id {bad} is outside the vocabulary (size {vocab_size})")
        if len(prompt) + 1 > self.max_model_len:
            raise ValueError(
                f"prompt has {len(prompt)} tokens, but max_model_len is {self.max_model_len}: the prompt plus at "
                "least one new token must fit"
            )
        processors = [
            SequenceOutputProcessor(
                i, params, self.loaded.vocab.token_bytes, self.loaded.special_texts, self.loaded.eos_token_ids
            )
            for i in range(params.n)
        ]
        self._serial += 1
        request = Request(request_id, prompt, params, priority, time.monotonic(), self._serial, processors)
        samples = [
            (i, new_generator(params.seed, i), params.constraint.matcher() if params.constraint is not None else None)
            for i in range(params.n)
        ]
        _, generator, matcher = samples[0]
        first = Sequence(request, 0, list(prompt), generator, matcher, processors[0])
        request.sequences.append(first)
        request.pending = samples[1:]
        self.requests[request_id] = request
        self.prompt_tokens_total += len(prompt)
        self.scheduler.add(first)

    def abort(self, request_id: str) -> None:
        """Stop a request and free its blocks; its final output (``"abort"``) comes with the next ``step()``."""
        request = self.requests.get(request_id)
        if request is None or request in self._aborted:
            return
        for seq in request.sequences:
            self.scheduler.finish(seq)
        request.pending.clear()
        for processor in request.processors:
            processor.finish("abort")
        self._aborted.append(request)

    def has_unfinished(self) -> bool:
        """Whether any request still has work or an output to report."""
        return bool(self.requests)

    def pop_errors(self) -> dict[str, str]:
        """Request ids failed since the last call, with why (their outputs finish with ``"abort"``)."""
        errors, self._errors = self._errors, {}
        return errors

    def stats(self) -> EngineStats:
        """Queue sizes, KV usage and token counters."""
        return EngineStats(
            num_running=len(self.scheduler.running),
            num_waiting=len(self.scheduler.waiting),
            kv_blocks_used=self.blocks.num_blocks - self.blocks.num_free,
            kv_blocks_total=self.blocks.num_blocks,
            prompt_tokens_total=self.prompt_tokens_total,
            generation_tokens_total=self.generation_tokens_total,
        )

    # --- the step ------------------------------------------------------------------------------------------------

    def step(self) -> list[RequestOutput]:
        """Run one scheduling step; return the outputs of the requests it changed (finished ones included)."""
        touched: dict[str, Request] = {r.request_id: r for r in self._aborted}
        self._aborted.clear()
        batch = self.scheduler.schedule()
        if batch.chunks:
            try:
                self._run(batch.chunks, touched)
            except Exception as exc:  # a failed forward fails its batch, never the engine
                logger.exception("engine step failed")
                for seq, _ in batch.chunks:
                    self._fail(seq, f"engine step failed: {exc!r}")
                    touched[seq.request.request_id] = seq.request
        return [self._output(r) for r in touched.values()]

    @torch.inference_mode()
    def _run(self, chunks: Seq[tuple[Sequence, int]], touched: dict[str, Request]) -> None:
        sampling = [i for i, (seq, n) in enumerate(chunks) if seq.num_computed + n == seq.num_tokens]
        logits = self.runner.forward(chunks, sampling)  # chunks that sample nothing still fill the cache
        self.scheduler.commit_chunks(chunks)
        if not sampling:
            return
        rows, logit_rows = self._fork_samples([chunks[i][0] for i in sampling])
        if logit_rows != list(range(len(sampling))):
            logits = logits[torch.tensor(logit_rows, device=logits.device)]
        constrained = [i for i, seq in enumerate(rows) if seq.matcher is not None]
        for row, exc in self.masks.fill([rows[i].matcher for i in constrained]).items():
            self._fail(rows[constrained[row]], f"the constraint failed: {exc}")
        self.masks.apply(logits, constrained)
        result = self.sampler(
            logits,
            [
                SamplingRow(s.request.params, s.generator, s.request.prompt_token_ids, s.processor.token_ids)
                for s in rows
            ],
        )
        for seq, token, logprob in zip(rows, result.token_ids, result.logprobs, strict=True):
            touched[seq.request.request_id] = seq.request
            if seq.processor.finished:  # failed while its mask was filled
                continue
            try:
                self._accept(seq, token, logprob)
            except ConstraintError as exc:  # a grammar over a budget while it parses: this sample only
                self._fail(seq, f"the constraint failed: {exc}")

    def _fork_samples(self, seqs: list[Sequence]) -> tuple[list[Sequence], list[int]]:
        """Expand sample 0 of requests whose prompt just finished into all ``n`` samples (sharing blocks).

        Returns:
            the rows to sample and, per row, its row in the forward's logits.
        """
        rows: list[Sequence] = []
        logit_rows: list[int] = []
        for i, seq in enumerate(seqs):
            rows.append(seq)
            logit_rows.append(i)
            request = seq.request
            for index, generator, matcher in request.pending:
                child = Sequence(request, index, list(seq.token_ids), generator, matcher, request.processors[index])
                request.sequences.append(child)
                forked = self.blocks.fork(seq.table, seq.num_computed)
                if forked is None:  # no block for the copy: it waits and recomputes (mostly from the prefix cache)
                    self.scheduler.add(child)
                    continue
                child.table, copies = forked
                child.num_computed = seq.num_computed
                self.cache.copy_blocks(copies)
                self.scheduler.add_running(child)
                rows.append(child)
                logit_rows.append(i)
            request.pending = []
        return rows, logit_rows

    def _accept(self, seq: Sequence, token: int, logprob: TokenLogprob | None) -> None:
        """Append a sampled token (and any tokens the constraint then forces); finish the sample when done."""
        if token == NO_VALID_TOKEN:
            self._fail(seq, "no token is allowed here: the constraint and the sampling settings exclude every token")
            return
        if seq.matcher is not None and not seq.matcher.advance(token):
            self._fail(seq, f"internal error: the constraint rejected token {token} that its mask allowed")
            return
        self._append(seq, token, logprob)
        if seq.matcher is not None and self.config.jump_forward and not seq.processor.finished:
            params = seq.request.params
            room = self.max_model_len - seq.num_tokens
            if params.max_tokens is not None:
                room = min(room, params.max_tokens - len(seq.processor.token_ids))
            for forced in jump_forward_tokens(seq.matcher, params, room):
                if not seq.matcher.advance(forced):
                    self._fail(seq, f"internal error: the constraint rejected its own forced token {forced}")
                    return
                self._append(seq, forced, None)
                if seq.processor.finished:
                    break
        if seq.processor.finished:
            self.scheduler.finish(seq)

    def _append(self, seq: Sequence, token: int, logprob: TokenLogprob | None) -> None:
        seq.token_ids.append(token)
        seq.processor.append(token, logprob)
        self.generation_tokens_total += 1
        if seq.processor.finished:
            return
        if seq.matcher is not None and seq.matcher.is_terminated():
            seq.processor.finish("stop")  # complete: only EOS could follow, so end now (saves a forward)
        elif seq.num_tokens >= self.max_model_len:
            seq.processor.finish("length")

    def _fail(self, seq: Sequence, message: str) -> None:
        logger.error("request %s sample %d failed: %s", seq.request.request_id, seq.index, message)
        seq.error = message
        seq.processor.finish("abort")
        self.scheduler.finish(seq)
        for index, _, _ in seq.request.pending:  # samples not forked yet cannot run without their parent
            seq.request.processors[index].finish("abort")
        seq.request.pending = []
        self._errors.setdefault(seq.request.request_id, message)

    def _output(self, request: Request) -> RequestOutput:
        finished = request.finished and not request.pending
        if finished:
            self.requests.pop(request.request_id, None)
        return RequestOutput(
            request_id=request.request_id,
            prompt_token_ids=request.prompt_token_ids,
            outputs=[p.output() for p in request.processors],
            finished=finished,
            num_cached_tokens=request.num_cached_tokens,
        )

