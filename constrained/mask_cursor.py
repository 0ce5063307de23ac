"""``MaskCursor``: the methods every matcher derives from its current mask row.

A matcher that keeps its next-token mask as a whole ``int32`` row (the grammar cursor, the ``uniqueItems``
wrapper) gets ``allowed_token_ids``, ``fill_bitmask`` and ``forced_tokens`` from that row here, written once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from constrained.mask_row import write_mask_row


class MaskCursor:
    """Mixin over ``mask()``, ``vocab_size``, ``copy()``, ``advance()`` and ``is_accepting()``."""

    __slots__ = ()

    def mask(self) -> np.ndarray:  # pragma: no cover - supplied by the concrete matcher
        """The current ``int32[num_words]`` mask row."""
        raise NotImplementedError

    @property
    def vocab_size(self) -> int:  # pragma: no cover - supplied by the concrete matcher
        """Tokens in the vocabulary."""
        raise NotImplementedError

    def copy(self) -> Any:  # pragma: no cover - supplied by the concrete matcher
        """An independent cursor at the same place."""
        raise NotImplementedError

    def advance(self, token_id: int) -> bool:  # pragma: no cover - supplied by the concrete matcher
        """Take ``token_id``; False (and no change) if it is not allowed."""
        raise NotImplementedError

    def is_accepting(self) -> bool:  # pragma: no cover - supplied by the concrete matcher
        """Whether the text so far is complete."""
        raise NotImplementedError

    def allowed_token_ids(self) -> list[int]:
        """Ids allowed next, ascending (EOS ids included iff accepting); empty after EOS."""
        bits = np.unpackbits(self.mask().view(np.uint8), bitorder="little")
        size = self.vocab_size
        return [i for i in np.flatnonzero(bits).tolist() if i < size]

    def fill_bitmask(self, words: Any) -> None:
        """Write the next-token mask into ``words`` (numpy int32 array or torch tensor; extra words zeroed)."""
        write_mask_row(words, self.mask())

    def forced_tokens(self, limit: int = 64) -> list[int]:
        """Tokens that are the only choice, in order, from the current state (for jump-forward); may be empty."""
        out: list[int] = []
        m = self.copy()
        while len(out) < limit and not m.is_accepting():
            ids = m.allowed_token_ids()
            if len(ids) != 1 or not m.advance(ids[0]):
                break
            out.append(ids[0])
        return out
