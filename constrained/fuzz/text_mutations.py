"""Character- and token-level mutations of a text: the near misses any constraint can be tested with.

Each mutation returns ``(mutated_text, detail)`` or None when it does not apply (e.g. no comma to double).
``detail`` says where it struck, so a failing consumer can be pointed at the exact change.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

TextMutation = Callable[[random.Random, str], "tuple[str, str] | None"]

# Characters that break structure (JSON punctuation, quotes, escapes), plus ordinary and non-ASCII ones.
INSERT_POOL = '{}[]",:\\\'0aZ -.\n\té€😀'
TOKEN = re.compile(r"\w+|\s+|.", re.DOTALL)


def truncate(rng: random.Random, text: str) -> tuple[str, str] | None:
    """Cut the text short (a truncated token or document)."""
    if not text:
        return None
    at = rng.randrange(len(text))
    return text[:at], f"cut at {at} of {len(text)}"


def insert_char(rng: random.Random, text: str) -> tuple[str, str] | None:
    """Insert one character somewhere."""
    at = rng.randint(0, len(text))
    ch = rng.choice(INSERT_POOL)
    return text[:at] + ch + text[at:], f"inserted {ch!r} at {at}"


def delete_char(rng: random.Random, text: str) -> tuple[str, str] | None:
    """Delete one character."""
    if not text:
        return None
    at = rng.randrange(len(text))
    return text[:at] + text[at + 1 :], f"deleted {text[at]!r} at {at}"


def replace_char(rng: random.Random, text: str) -> tuple[str, str] | None:
    """Replace one character by another."""
    if not text:
        return None
    at = rng.randrange(len(text))
    ch = rng.choice([c for c in INSERT_POOL if c != text[at]])
    return text[:at] + ch + text[at + 1 :], f"replaced {text[at]!r} by {ch!r} at {at}"


def extra_comma(rng: random.Random, text: str) -> tuple[str, str] | None:
    """Double a comma, or put one before a closing bracket (a trailing comma)."""
    spots = [i for i, c in enumerate(text) if c in ",]}"]
    if not spots:
        return None
    at = rng.choice(spots)
    return text[:at] + "," + text[at:], f"comma inserted before {text[at]!r} at {at}"


def swap_tokens(rng: random.Random, text: str) -> tuple[str, str] | None:
    """Swap two adjacent tokens (words, numbers, punctuation; whitespace is skipped over)."""
    spans = [m.span() for m in TOKEN.finditer(text) if not m.group().isspace()]
    pairs = [(a, b) for a, b in zip(spans, spans[1:], strict=False) if text[a[0] : a[1]] != text[b[0] : b[1]]]
    if not pairs:
        return None
    (a0, a1), (b0, b1) = rng.choice(pairs)
    swapped = text[:a0] + text[b0:b1] + text[a1:b0] + text[a0:a1] + text[b1:]
    return swapped, f"swapped {text[a0:a1]!r} and {text[b0:b1]!r} at {a0}"


TEXT_MUTATIONS: dict[str, TextMutation] = {
    "truncate": truncate,
    "insert_char": insert_char,
    "delete_char": delete_char,
    "replace_char": replace_char,
    "extra_comma": extra_comma,
    "swap_tokens": swap_tokens,
}
