"""``EngineConfig``: the engine's settings in one frozen place, checked without IO."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineConfig:
    """Engine settings (the ``**engine_args`` of ``LLM`` and ``AsyncEngine.from_model``).

    Attributes:
        max_model_len: longest prompt + output in tokens; default the model's context, capped by the cache.
        block_size: token slots per KV block.
        num_blocks: KV blocks in the pool; default from ``kv_cache_memory``.
        kv_cache_memory: bytes for the KV pool when ``num_blocks`` is not given (default 512 MiB on CPU, 40% of
            the free device memory on CUDA).
        max_num_seqs: most sequences decoded together.
        max_num_batched_tokens: most tokens per step (prefill chunks are cut to fit).
        enable_prefix_caching: reuse KV blocks of earlier identical prompt prefixes.
        jump_forward: append tokens a constraint forces without sampling them (see ``constraint_step``).
        num_threads: CPU threads for torch (default: every core).
        warmup: run one small forward at start so the first request does not pay for lazy initialisation.
        max_waiting: most requests queued (``AsyncEngine``; more raise ``EngineOverloaded``).
    """

    max_model_len: int | None = None
    block_size: int = 16
    num_blocks: int | None = None
    kv_cache_memory: int | None = None
    max_num_seqs: int = 64
    max_num_batched_tokens: int = 2048
    enable_prefix_caching: bool = True
    jump_forward: bool = True
    num_threads: int | None = None
    warmup: bool = True
    max_waiting: int = 256

    def __post_init__(self) -> None:
        checks = [
            (self.max_model_len is None or self.max_model_len >= 2, "max_model_len must be at least 2"),
            (self.block_size >= 1, "block_size must be at least 1"),
            (self.num_blocks is None or self.num_blocks >= 1, "num_blocks must be at least 1"),
            (self.kv_cache_memory is None or self.kv_cache_memory > 0, "kv_cache_memory must be positive"),
            (self.max_num_seqs >= 1, "max_num_seqs must be at least 1"),
            (self.max_num_batched_tokens >= 1, "max_num_batched_tokens must be at least 1"),
            (self.num_threads is None or self.num_threads >= 1, "num_threads must be at least 1"),
            (self.max_waiting >= 1, "max_waiting must be at least 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
