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
    """Call every kernel once on a toy vocabulary, with the argument types the real calls use."""
    from constrained.token_trie import kernels

    k = kernels()
    if k is None:
        return
    import numpy as np

    from constrained.byte_dfa import ByteDFA
    from constrained.regex_parser import parse_regex
    from constrained.token_index import TokenIndex
    from constrained.vocab import Vocabulary

    vocab = Vocabulary.from_token_bytes([b"a", b"ab", b"b", b"</s>"], eos_token_ids=[3])
    dfa = ByteDFA.from_node(parse_regex("a+b?"), max_seconds=float("inf"))  # subset construction, minimization
    TokenIndex(dfa, vocab).entry(dfa.start)  # trie build and mask walk
    trie = vocab.trie()
    assert trie.kernel_arrays is not None
    words = np.zeros(1, dtype=np.int64)
    cross = np.empty(trie.num_nodes, dtype=np.int64)
    k.lexeme_walk(dfa.table, dfa.classes, dfa.accepting, int(dfa.start), trie.kernel_arrays, words, cross,
                  trie.scratch())  # fmt: skip
    k.crossing_tokens(cross[:0], trie.kernel_arrays, trie.starts)
    k.first_positions(trie.starts[:1], trie.starts[:1], np.zeros(len(trie.buf), dtype=bool))
    k.split_crossings(np.zeros(1, np.uint8), np.zeros(1, np.uint8), cross[:0], cross[:0], 1)
    k.rest_walk(dfa.table, dfa.classes, dfa.accepting, int(dfa.start), trie.buf, trie.end_of, trie.starts[:1])
    stays = np.zeros(len(trie.buf), dtype=bool)
    k.suffix_walk(dfa.table, dfa.classes, dfa.accepting, int(dfa.start), trie.buf, trie.end_of, stays, stays.copy())
