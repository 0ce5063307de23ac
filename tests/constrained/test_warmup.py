"""The kernels' first compile happens before any compile budget starts, once per process."""

from __future__ import annotations

import threading
import time

import pytest

import constrained
from constrained import warmup


@pytest.fixture
def slow_cold_kernels(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Pretend the kernels are not compiled yet and take 0.6 s to compile (as numba does, for ~20 s, when cold)."""
    constrained.warm_up()  # the real kernels, so that only the pretended cold compile is in question
    calls: list[str] = []

    def slow_compile() -> None:
        calls.append(threading.current_thread().name)
        time.sleep(0.6)

    monkeypatch.setattr(warmup, "_done", False)
    monkeypatch.setattr(warmup, "_compile_kernels", slow_compile)
    constrained.clear_cache()
    return calls


@pytest.mark.parametrize(
    "compile_one",
    [
        lambda: constrained.compile_regex("[a-z]{1,8}@example", None, max_seconds=0.3),
        lambda: constrained.compile_json_schema({"type": "object", "properties": {"a": {}}}, None, max_seconds=0.3),
        lambda: constrained.compile_grammar('start: "a" start | "b"', None, max_seconds=0.3),
        lambda: constrained.ByteDFA.from_node(constrained.parse_regex("x+y"), max_seconds=0.3),
    ],
    ids=["regex", "json_schema", "grammar", "byte_dfa"],
)
def test_a_cold_kernel_compile_is_not_charged_to_the_budget(slow_cold_kernels: list[str], compile_one) -> None:
    compiled = compile_one()  # would raise BudgetExceeded if the 0.6 s warm-up ran inside the 0.3 s budget
    assert compiled is not None
    assert len(slow_cold_kernels) == 1


def test_warm_up_runs_once_when_threads_race(slow_cold_kernels: list[str]) -> None:
    threads = [threading.Thread(target=constrained.warm_up) for _ in range(4)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(slow_cold_kernels) == 1
    assert time.perf_counter() - start >= 0.6  # every thread waited for the one compile
    constrained.warm_up()
    assert len(slow_cold_kernels) == 1
