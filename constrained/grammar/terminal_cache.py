"""Terminal automata shared by every grammar compiled in the process, and their walks of a vocabulary.

Grammars compiled from JSON schemas repeat most of their terminals (string bodies, numbers, whitespace, the
"any value" pieces, common keys): over 180 MaskBench schemas, 11,290 terminal builds held 4,112 distinct
terminals, and the repeats cost half of the build time. So each terminal's ``ByteDFA`` is built once per
process (keyed by its regex node and state budget), and the two vocabulary walks every grammar does for each
terminal at compile time (the suffix walk and the fresh-lexeme walk, see ``masks.py``) are kept with it.

Both caches are bounded LRUs. The walks are large (two bits per byte of the vocabulary, plus a mask row), so
far fewer of them are kept than automata. ``clear()`` empties both (``constrained.clear_cache`` calls it).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from constrained.byte_dfa import ByteDFA
from constrained.regex_ast import Node

MAX_TERMINAL_DFAS = 4096
MAX_TERMINAL_WALKS = 256

_lock = threading.Lock()
_dfas: OrderedDict[tuple[Node, int], ByteDFA] = OrderedDict()
_walks: OrderedDict[tuple[int, str], tuple[ByteDFA, TerminalWalks]] = OrderedDict()


@dataclass
class TerminalWalks:
    """What ``masks.GrammarMaskIndex`` computed for one terminal and one vocabulary (filled on first use).

    Attributes:
        suffix: the packed suffix walk ``(stays, crosses)``.
        start_entry: the ``LexemeEntry`` of a fresh lexeme (the walk from the terminal's start state).
    """

    suffix: tuple[Any, Any] | None = None
    start_entry: Any = None


def terminal_dfa(node: Node, max_states: int, max_seconds: float) -> ByteDFA:
    """The minimal DFA of terminal ``node``, built once per process for each state budget.

    Raises:
        BudgetExceeded: building it exceeds ``max_states`` or ``max_seconds`` (nothing is cached then).
    """
    key = (node, max_states)
    with _lock:
        dfa = _dfas.get(key)
        if dfa is not None:
            _dfas.move_to_end(key)
            return dfa
    dfa = ByteDFA.from_node(node, max_states=max_states, max_seconds=max_seconds)
    with _lock:
        _dfas[key] = dfa
        if len(_dfas) > MAX_TERMINAL_DFAS:
            _dfas.popitem(last=False)
    return dfa


def terminal_walks(dfa: ByteDFA, vocab_fingerprint: str) -> TerminalWalks:
    """The shared walks record of ``dfa`` over the vocabulary with this fingerprint (empty when new)."""
    key = (id(dfa), vocab_fingerprint)
    with _lock:
        hit = _walks.get(key)
        if hit is not None:  # the record holds its DFA, so the id cannot have been reused
            _walks.move_to_end(key)
            return hit[1]
        walks = TerminalWalks()
        _walks[key] = (dfa, walks)
        if len(_walks) > MAX_TERMINAL_WALKS:
            _walks.popitem(last=False)
        return walks


def clear() -> None:
    """Drop every shared terminal automaton and walk."""
    with _lock:
        _dfas.clear()
        _walks.clear()
