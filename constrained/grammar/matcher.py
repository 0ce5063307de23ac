"""``GrammarMatcher``: the per-sequence cursor over a compiled grammar (same methods as the regex ``Matcher``).

It keeps a stack of parser states (one entry per accepted token, EOS included), so ``rollback`` is a pop; states
are persistent, so a push costs nothing beyond the step itself. Masks are memoized per stack entry.
"""

from __future__ import annotations

import numpy as np

from constrained.grammar.earley import GrammarParserState
from constrained.grammar.masks import GrammarMaskIndex
from constrained.mask_cursor import MaskCursor

_ENDED = None  # stack marker: EOS was taken


class GrammarMatcher(MaskCursor):
    """Per-sequence cursor: masks, advance, rollback, copy."""

    __slots__ = ("_index", "_stack", "_masks")

    def __init__(self, index: GrammarMaskIndex) -> None:
        """Start at the grammar's initial state (use ``CompiledGrammar.matcher()``)."""
        self._index = index
        self._stack: list[GrammarParserState | None] = [index.cfg.initial_state()]
        self._masks: list[np.ndarray | None] = [None]

    @property
    def num_words(self) -> int:
        """Words per mask row: ``ceil(vocab.size / 32)``."""
        return self._index.num_words

    @property
    def state(self) -> GrammarParserState | None:
        """The current parser state (None once EOS was taken)."""
        return self._stack[-1]

    def is_accepting(self) -> bool:
        """Whether the text so far is complete (EOS may be taken), or EOS has been taken."""
        s = self._stack[-1]
        return s is _ENDED or self._index.cfg.is_accepting(s)

    def is_terminated(self) -> bool:
        """EOS taken, or the text is complete and nothing more can follow."""
        s = self._stack[-1]
        cfg = self._index.cfg
        return s is _ENDED or (cfg.is_accepting(s) and not cfg.can_continue(s))

    def mask(self) -> np.ndarray:
        """The current ``int32[num_words]`` mask (read-only; all zero after EOS)."""
        m = self._masks[-1]
        if m is None:
            s = self._stack[-1]
            m = np.zeros(self.num_words, dtype=np.int32) if s is _ENDED else self._index.mask(s)
            self._masks[-1] = m
        return m

    @property
    def vocab_size(self) -> int:
        """Tokens in the vocabulary (mask bits past it are padding)."""
        return int(self._index.vocab.size)

    def advance(self, token_id: int) -> bool:
        """Take ``token_id``; returns False (and changes nothing) if it is not allowed."""
        s = self._stack[-1]
        if s is _ENDED:
            return False
        vocab = self._index.vocab
        if token_id in vocab.eos_token_ids:
            if not self._index.cfg.is_accepting(s):
                return False
            self._push(_ENDED)
            return True
        if not 0 <= token_id < vocab.size or not vocab.walkable(token_id):
            return False
        nxt = self._index.cfg.advance_bytes(s, vocab.token_bytes[token_id] or b"")
        if nxt is None:
            return False
        self._push(nxt)
        return True

    def advance_bytes(self, data: bytes) -> bool:
        """Take raw bytes as one step (prompt forcing / tests); False (nothing changes) if they do not fit."""
        s = self._stack[-1]
        nxt = None if s is _ENDED else self._index.cfg.advance_bytes(s, data)
        if nxt is None:
            return False
        self._push(nxt)
        return True

    def _push(self, state: GrammarParserState | None) -> None:
        self._stack.append(state)
        self._masks.append(None)

    def rollback(self, num_tokens: int) -> None:
        """Undo the last ``num_tokens`` accepted tokens (EOS counts as one).

        Raises:
            ValueError: more tokens than were accepted, or a negative count.
        """
        if num_tokens < 0 or num_tokens >= len(self._stack):
            raise ValueError(f"cannot roll back {num_tokens} tokens; {len(self._stack) - 1} accepted")
        if num_tokens:
            del self._stack[-num_tokens:]
            del self._masks[-num_tokens:]

    def reset(self) -> None:
        """Back to the start."""
        del self._stack[1:]
        del self._masks[1:]

    def copy(self) -> GrammarMatcher:
        """An independent matcher at the same position (the mask index stays shared)."""
        m = GrammarMatcher.__new__(GrammarMatcher)
        m._index = self._index
        m._stack = list(self._stack)
        m._masks = list(self._masks)
        return m
