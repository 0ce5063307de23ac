"""``warm_up()``: compile the numba kernels once per process, outside every compile budget.

numba compiles a kernel on its first call (or loads it from ``__pycache__``, which a fresh checkout does not have
yet). That first call can take seconds; inside a constraint's compile budget it would make the first schema of a
process fail with ``BudgetExceeded`` although the schema itself is cheap. So ``compile_*`` calls ``warm_up()``
before starting their clock, and the server calls it at startup so the first request does not wait either.
"""

from __future__ import annotations

import threading

_done = False
_lock = threading.Lock()
_inside = threading.local()  # the warm-up's own compiles call warm_up() again: let them through

# A grammar whose terminals exercise every kernel: subset construction and minimization (the terminal DFAs), the
# trie build, and the mask, lexeme and suffix walks (tokens inside a terminal and across terminal boundaries).
_GRAMMAR = 'start: "[" NUM ("," NUM)* "]"\nNUM: /[0-9]+/\n'
_TOKENS = [b"[", b"]", b",", b"1", b"12", b"2,", b"],", b"[1", b"x"]


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel this process will use; a no-op after the first call.

    Without numba, or with ``CONSTRAINED_NO_JIT=1``, there is nothing to compile and this returns at once.
    """
    global _done
    if _done or getattr(_inside, "active", False):
        return
    with _lock:  # other threads wait here until the kernels are ready
        if _done:
            return
        _inside.active = True
        try:
            _compile_kernels()
        finally:
            _inside.active = False
            _done = True


def _compile_kernels() -> None:
    from constrained.token_trie import kernels

    if kernels() is None:
        return
    import numpy as np

    from constrained.compiler import compile_regex
    from constrained.grammar.compiled import compile_grammar_constraint
    from constrained.vocab import Vocabulary

    vocab = Vocabulary.from_token_bytes([b"<eos>", *_TOKENS], eos_token_ids=[0])
    words = np.zeros((vocab.size + 31) // 32, dtype=np.int32)
    regex = compile_regex(r"\[[0-9]+(,[0-9]+)*\]", vocab, max_seconds=float("inf"))
    grammar = compile_grammar_constraint(_GRAMMAR, "lark", vocab, max_seconds=float("inf"))
    for constraint in (regex, grammar):
        matcher = constraint.matcher()
        for token in (b"[1", b"2,", b"1"):
            matcher.fill_bitmask(words)
            matcher.advance(vocab.token_bytes.index(token))
        matcher.fill_bitmask(words)
