"""The collector pause around compiles: reentrant, thread-safe, and it restores the application's setting."""

from __future__ import annotations

import gc
import threading

import constrained
from constrained.gc_pause import gc_paused
from constrained.warmup import warm_up


def test_pause_is_reentrant_and_restores_enabled() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_pause_keeps_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_collector_off_during_compile_and_back_on_after_an_error() -> None:
    warm_up()  # its own small compile happens before the pause, once per process
    seen: list[bool] = []
    real = constrained.compiler.ByteDFA.from_node

    def spy(node, **kw):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real(node, **kw)

    constrained.compiler.ByteDFA.from_node = spy  # type: ignore[method-assign]
    try:
        constrained.clear_cache()
        constrained.compile_regex("gc-pause-[0-9]+", None)
        try:
            constrained.compile_regex("(", None)
        except constrained.InvalidConstraint:
            pass
    finally:
        constrained.compiler.ByteDFA.from_node = real  # type: ignore[method-assign]
    assert seen == [False]
    assert gc.isenabled()


def test_overlapping_pauses_in_threads_end_enabled() -> None:
    start = threading.Barrier(4)

    def work() -> None:
        start.wait()
        for _ in range(200):
            with gc_paused():
                assert not gc.isenabled()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gc.isenabled()
