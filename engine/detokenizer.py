"""Incremental detokenization from exact token bytes.

Tokens are byte strings, and one character can span several tokens (byte-level BPE splits multi-byte UTF-8).
An incremental UTF-8 decoder keeps an incomplete sequence at the end until the next token completes it, and turns
bytes that can never be valid into U+FFFD right away, so each token costs only the decoding of its own bytes.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping, Sequence


class IncrementalDetokenizer:
    """Turns a stream of token ids into a stream of text pieces.

    Args:
        token_bytes: exact bytes per token id (None for tokens without text).
        special_texts: text of special tokens; shown only when ``skip_special_tokens`` is False.
        skip_special_tokens: leave special tokens out of the text.
    """

    def __init__(
        self,
        token_bytes: Sequence[bytes | None],
        special_texts: Mapping[int, str],
        skip_special_tokens: bool = True,
    ) -> None:
        self._token_bytes = token_bytes
        self._special_texts = special_texts
        self._skip_special = skip_special_tokens
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def push(self, token_id: int) -> str:
        """Add one token; return the text that is now complete (possibly empty)."""
        special = self._special_texts.get(token_id)
        if special is not None:
            if self._skip_special:
                return ""
            # A special token ends any pending partial character: those bytes can no longer complete.
            return self.flush() + special
        data = self._token_bytes[token_id] if 0 <= token_id < len(self._token_bytes) else None
        return self._decoder.decode(data, final=False) if data else ""

    def flush(self) -> str:
        """End of stream: return held bytes (an incomplete character becomes U+FFFD) and reset."""
        text = self._decoder.decode(b"", final=True)
        self._decoder.reset()
        return text
