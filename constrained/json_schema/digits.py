r"""Fixed-width digit-range regexes, shared by integer bounds (base 10) and ``\uXXXX`` escapes (base 16)."""

from __future__ import annotations

from collections.abc import Callable

from constrained.regex_ast import EMPTY, CharSet, Node, alt, chars, repeat, seq


def decimal_digit(lo: int, hi: int) -> CharSet:
    """Decimal digits with values lo..hi."""
    return chars("".join(str(d) for d in range(lo, hi + 1)))


def fixed_range(lo: int, hi: int, width: int, base: int, digit: Callable[[int, int], CharSet]) -> Node:
    """Exactly-``width``-digit numerals (leading zeros kept) whose value is in ``lo..hi``.

    Args:
        lo: smallest value, ``0 <= lo <= hi``.
        hi: largest value, below ``base ** width``.
        width: number of digits.
        base: 10 or 16.
        digit: maps a value range to the character set of its digits.
    """
    if width == 0:
        return EMPTY
    step = base ** (width - 1)
    lo_d, lo_r = divmod(lo, step)
    hi_d, hi_r = divmod(hi, step)
    if lo_d == hi_d:
        return seq(digit(lo_d, lo_d), fixed_range(lo_r, hi_r, width - 1, base, digit))
    parts: list[Node] = []
    start, end = lo_d, hi_d
    if lo_r != 0:  # the lowest leading digit only covers part of its block
        parts.append(seq(digit(lo_d, lo_d), fixed_range(lo_r, step - 1, width - 1, base, digit)))
        start += 1
    if hi_r != step - 1:
        end -= 1
    if start <= end:
        parts.append(seq(digit(start, end), repeat(digit(0, base - 1), width - 1, width - 1)))
    if hi_r != step - 1:
        parts.append(seq(digit(hi_d, hi_d), fixed_range(0, hi_r, width - 1, base, digit)))
    return alt(*parts)
