"""``Matcher``: the cheap per-sequence cursor over a compiled regular constraint.

It holds a stack of DFA states (one entry per accepted token, EOS included) so ``rollback`` is a pop, and shares
the compiled constraint's ``TokenIndex`` with every other matcher of that constraint. Rejecting a token is a
``False`` return, never an exception, so one bad sequence cannot fail a batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from constrained.byte_dfa import DEAD
from constrained.mask_row import write_mask_row
from constrained.token_index import TokenIndex

_ENDED = -1  # stack marker: EOS was taken


class Matcher:
    """Per-sequence cursor: masks, advance, rollback, copy."""

    __slots__ = ("_index", "_stack")

    def __init__(self, index: TokenIndex, start: int) -> None:
        """Start at DFA state ``start`` (use ``CompiledConstraint.matcher()``)."""
        self._index = index
        self._stack = [start]

    # --- queries ---------------------------------------------------------------------------------------------

    @property
    def state(self) -> int:
        """Current DFA state (-1 once EOS was taken)."""
        return self._stack[-1]

    @property
    def num_words(self) -> int:
        """Words per mask row: ``ceil(vocab.size / 32)``."""
        return self._index.num_words

    def is_accepting(self) -> bool:
        """Whether the text so far is complete (EOS may be taken), or EOS has been taken."""
        s = self._stack[-1]
        return s == _ENDED or bool(self._index.dfa.accepting[s])

    def is_terminated(self) -> bool:
        """EOS taken, or the text is complete and nothing more can follow."""
        s = self._stack[-1]
        dfa = self._index.dfa
        return s == _ENDED or (bool(dfa.accepting[s]) and not bool(dfa.has_out[s]))

    def allowed_token_ids(self) -> list[int]:
        """Ids allowed next, ascending (EOS ids included iff accepting); empty after EOS."""
        s = self._stack[-1]
        if s == _ENDED:
            return []
        ids: list[int] = self._index.allowed_ids(s).tolist()
        return ids

    def fill_bitmask(self, words: Any) -> None:
        """Write the next-token mask into ``words``.

        Args:
            words: a 1-D int32 numpy array or torch tensor (CPU or device; duck-typed, torch is never imported)
                with at least ``num_words`` entries; bit ``t & 31`` of ``words[t >> 5]`` allows token ``t``.
                Words past ``num_words`` are zeroed. After EOS every bit is zero.
        """
        s = self._stack[-1]
        n = self._index.num_words
        write_mask_row(words, self._index.entry(s).words if s != _ENDED else np.zeros(n, dtype=np.int32))

    def forced_tokens(self, limit: int = 64) -> list[int]:
        """Tokens that are the only choice, in order, from the current state (for jump-forward); may be empty."""
        out: list[int] = []
        s = self._stack[-1]
        while s not in (_ENDED, DEAD) and len(out) < limit and not self._index.dfa.accepting[s]:
            if self._index.entry(s).num_allowed != 1:
                break
            token = int(self._index.allowed_ids(s)[0])
            out.append(token)
            s = self._index.next_state(s, token)
        return out

    # --- moves -----------------------------------------------------------------------------------------------

    def advance(self, token_id: int) -> bool:
        """Take ``token_id``; returns False (and changes nothing) if it is not allowed."""
        s = self._stack[-1]
        if s == _ENDED:
            return False
        if token_id in self._index.vocab.eos_token_ids:
            if not self._index.dfa.accepting[s]:
                return False
            self._stack.append(_ENDED)
            return True
        if not 0 <= token_id < self._index.vocab.size:
            return False
        nxt = self._index.next_state(s, token_id)
        if nxt == DEAD:
            return False
        self._stack.append(nxt)
        return True

    def rollback(self, num_tokens: int) -> None:
        """Undo the last ``num_tokens`` accepted tokens (EOS counts as one).

        Raises:
            ValueError: more tokens than were accepted, or a negative count.
        """
        if num_tokens < 0 or num_tokens >= len(self._stack):
            raise ValueError(f"cannot roll back {num_tokens} tokens; {len(self._stack) - 1} accepted")
        if num_tokens:
            del self._stack[-num_tokens:]

    def reset(self) -> None:
        """Back to the start state."""
        del self._stack[1:]

    def copy(self) -> Matcher:
        """An independent matcher at the same position (the token index stays shared)."""
        m = Matcher(self._index, self._stack[0])
        m._stack = list(self._stack)
        return m
