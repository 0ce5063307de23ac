r"""Engine ``TokenLogprob`` entries -> OpenAI's logprob shapes (chat ``content`` list, legacy parallel lists).

A token's ``token`` text is its bytes decoded as UTF-8; a token that splits a character shows the partial bytes
as ``\xNN`` escapes, and ``bytes`` always carries the exact bytes. Special tokens (no bytes) show their spelling.
JSON has no ``-Infinity``: such log-probabilities are sent as ``-9999.0``, as OpenAI does.
"""

from __future__ import annotations

import math
from typing import Any

from api.schemas import CompletionLogprobs, TokenLogprob, TopLogprob

VERY_UNLIKELY = -9999.0


class TokenTexts:
    """Token id -> (display text, bytes) for one model, cached.

    Args:
        model: the engine's loaded model (``vocab.token_bytes``, ``tokenizer.id_to_token``).
    """

    def __init__(self, model: Any) -> None:
        self._model = model
        self._cache: dict[int, tuple[str, list[int] | None]] = {}

    def get(self, token_id: int) -> tuple[str, list[int] | None]:
        """``(text, bytes)`` of ``token_id``."""
        hit = self._cache.get(token_id)
        if hit is None:
            hit = self._cache[token_id] = self._lookup(token_id)
        return hit

    def _lookup(self, token_id: int) -> tuple[str, list[int] | None]:
        table = self._model.vocab.token_bytes
        raw = table[token_id] if 0 <= token_id < len(table) else None
        if raw is None:
            spelling = self._model.tokenizer.id_to_token(token_id) or ""
            return spelling, list(spelling.encode("utf-8"))
        return raw.decode("utf-8", errors="backslashreplace"), list(raw)


def finite(logprob: float) -> float:
    """``logprob`` with -inf/NaN replaced by ``-9999.0``."""
    return logprob if math.isfinite(logprob) else VERY_UNLIKELY


def chat_logprob_content(entries: list[Any], texts: TokenTexts) -> list[TokenLogprob]:
    """Chat ``logprobs.content`` for engine entries (``token_id``, ``logprob``, ``top`` pairs)."""
    out: list[TokenLogprob] = []
    for entry in entries:
        text, raw = texts.get(entry.token_id)
        top = []
        for token_id, logprob in entry.top:
            alt_text, alt_raw = texts.get(token_id)
            top.append(TopLogprob(token=alt_text, logprob=finite(logprob), bytes=alt_raw))
        out.append(TokenLogprob(token=text, logprob=finite(entry.logprob), bytes=raw, top_logprobs=top))
    return out


def completion_logprobs(entries: list[Any], texts: TokenTexts, text_start: int = 0) -> CompletionLogprobs:
    """Legacy ``logprobs`` (tokens, token_logprobs, top_logprobs, text_offset) for engine entries.

    Args:
        entries: the engine's ``TokenLogprob`` list.
        texts: token texts of the model.
        text_start: character offset of the first token in the choice's text (after an echoed prompt, or the
            previous chunk's text when streaming).
    """
    tokens: list[str] = []
    token_logprobs: list[float | None] = []
    tops: list[dict[str, float] | None] = []
    offsets: list[int] = []
    offset = text_start
    for entry in entries:
        text, _ = texts.get(entry.token_id)
        tokens.append(text)
        token_logprobs.append(finite(entry.logprob))
        tops.append({texts.get(t)[0]: finite(lp) for t, lp in entry.top})
        offsets.append(offset)
        offset += len(text)
    return CompletionLogprobs(tokens=tokens, token_logprobs=token_logprobs, top_logprobs=tops, text_offset=offsets)
