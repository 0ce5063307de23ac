"""JSON numbers and integers with exact bounds.

Integers are written ``-?(0|[1-9][0-9]*)``; ``1.0``/``1e2`` are never produced for ``integer`` and ``-0`` is
never produced (both stricter than the schema, which accepts them). Unbounded ``number`` admits the whole
JSON number grammar. Bounded ``number`` admits plain decimals without an exponent (stricter): the bound is
then a comparison of an integer part (digit-range regex) and a fraction string (prefix comparison), which is
exact for any decimal bound.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from constrained.dfa_ops import intersection, table_node
from constrained.regex_ast import EMPTY, NOTHING, Node, alt, chars, literal, optional, repeat, seq

from .digits import decimal_digit, fixed_range

DIGIT = decimal_digit(0, 9)
_DIGITS = repeat(DIGIT, 0, None)
_NONZERO = decimal_digit(1, 9)
_MINUS = chars("-")
_DOT = chars(".")
NATURAL = alt(chars("0"), seq(_NONZERO, _DIGITS))
INTEGER = alt(chars("0"), seq(optional(_MINUS), _NONZERO, _DIGITS))  # no "-0"
_FRACTION = seq(_DOT, repeat(DIGIT, 1, None))
_EXPONENT = seq(chars("eE"), optional(chars("+-")), repeat(DIGIT, 1, None))
NUMBER = seq(optional(_MINUS), NATURAL, optional(_FRACTION), optional(_EXPONENT))
# Largest number of digits a bound may have before the regex grows unreasonably.
MAX_BOUND_DIGITS = 40


class NotExact(Exception):
    """A numeric constraint this module cannot express exactly; the caller turns it into a refusal."""


def _natural_range(lo: int, hi: int | None) -> Node:
    """Naturals (no leading zeros) in ``lo..hi``, ``lo >= 0``; ``hi=None`` means unbounded."""
    if hi is not None and hi < lo:
        return NOTHING
    parts: list[Node] = []
    if lo == 0:
        parts.append(chars("0"))
        lo = 1
    if hi is not None and hi < lo:
        return alt(*parts)
    top = len(str(hi)) if hi is not None else len(str(lo))
    if top > MAX_BOUND_DIGITS:
        raise NotExact(f"bound with more than {MAX_BOUND_DIGITS} digits")
    for width in range(len(str(lo)), top + 1):
        a = max(lo, 10 ** (width - 1))
        b = 10**width - 1 if hi is None else min(hi, 10**width - 1)
        parts.append(fixed_range(a, b, width, 10, decimal_digit))
    if hi is None:  # every longer numeral is larger than lo
        parts.append(seq(_NONZERO, repeat(DIGIT, top, None)))
    return alt(*parts)


def integer_range(lo: int | None, hi: int | None) -> Node:
    """Integer texts with value in ``lo..hi`` (None = unbounded on that side)."""
    if lo is None and hi is None:
        return INTEGER
    if lo is not None and hi is not None and lo > hi:
        return NOTHING
    parts: list[Node] = []
    if lo is None or lo < 0:  # negative values: magnitude in max(1, -hi)..-lo
        mag_lo = 1 if hi is None or hi >= 0 else -hi
        parts.append(seq(_MINUS, _natural_range(mag_lo, None if lo is None else -lo)))
    if hi is None or hi >= 0:
        parts.append(_natural_range(max(lo or 0, 0), hi))
    return alt(*parts)


def _split(d: Decimal) -> tuple[int, str]:
    """Integer part and fraction digits (trailing zeros stripped) of a non-negative decimal."""
    text = format(d, "f")
    whole, _, frac = text.partition(".")
    if len(whole) > MAX_BOUND_DIGITS or len(frac) > MAX_BOUND_DIGITS:
        raise NotExact(f"bound with more than {MAX_BOUND_DIGITS} digits")
    return int(whole), frac.rstrip("0")


def _frac_at_least(alpha: str, strict: bool) -> Node:
    """Optional ``.F`` with ``0.F >= 0.alpha`` (``>`` when strict)."""
    if not alpha:
        return optional(_FRACTION) if not strict else seq(_DOT, _DIGITS, _NONZERO, _DIGITS)
    parts: list[Node] = []
    for i, ch in enumerate(alpha):
        if ch != "9":
            parts.append(seq(_DOT, literal(alpha[:i]) if i else EMPTY, decimal_digit(int(ch) + 1, 9), _DIGITS))
    tail = seq(_DIGITS, _NONZERO, _DIGITS) if strict else _DIGITS
    parts.append(seq(_DOT, literal(alpha), tail))
    return alt(*parts)


def _frac_at_most(beta: str, strict: bool) -> Node:
    """Optional ``.F`` with ``0.F <= 0.beta`` (``<`` when strict)."""
    if not beta:
        return NOTHING if strict else optional(seq(_DOT, repeat(chars("0"), 1, None)))
    parts: list[Node] = [EMPTY]
    for i, ch in enumerate(beta):
        if ch != "0":
            parts.append(seq(_DOT, literal(beta[:i]) if i else EMPTY, decimal_digit(0, int(ch) - 1), _DIGITS))
        if 0 < i:
            parts.append(seq(_DOT, literal(beta[:i])))
    if not strict:
        parts.append(seq(_DOT, literal(beta), repeat(chars("0"), 0, None)))
    return alt(*parts)


def _digits_at_least(s: str, strict: bool = False) -> Node:
    """Digit strings G (possibly empty) with G padded by zeros >= s padded by zeros (``>`` when strict)."""
    s = s.rstrip("0")  # trailing zeros do not change the comparison, and G may stop before them
    above = seq(_DIGITS, _NONZERO, _DIGITS) if strict else _DIGITS  # what may follow a G that matched all of s
    if not s:
        return above
    parts: list[Node] = []
    for i, ch in enumerate(s):
        if ch != "9":
            parts.append(seq(literal(s[:i]) if i else EMPTY, decimal_digit(int(ch) + 1, 9), _DIGITS))
    parts.append(seq(literal(s), above))
    return alt(*parts)


def _digits_at_most(s: str, strict: bool = False) -> Node:
    """Digit strings G (possibly empty) with G padded by zeros <= s padded by zeros (``<`` when strict)."""
    s = s.rstrip("0")  # so every proper prefix of s, zero-padded, is below s
    parts: list[Node] = [EMPTY] if s or not strict else []
    for i, ch in enumerate(s):
        if ch != "0":
            parts.append(seq(literal(s[:i]) if i else EMPTY, decimal_digit(0, int(ch) - 1), _DIGITS))
        if i:
            parts.append(literal(s[:i]))
    if not strict:
        parts.append(seq(literal(s), repeat(chars("0"), 0, None)))
    return alt(*parts)


def _zero_allowed(a: str, b: str, a_strict: bool, b_strict: bool) -> bool:
    """Whether the all-zero digit string lies within ``a..b`` (zero-padded; ``*_strict``: that end excluded)."""
    return not a.strip("0") and not a_strict and (bool(b.strip("0")) or not b_strict)


def _digits_between(a: str, b: str, a_strict: bool = False, b_strict: bool = False) -> Node:
    """Digit strings G with a <= G <= b (``<`` at a strict end), all compared zero-padded; ``a <= b``, same length."""
    if not a:  # only zeros may follow an exact match of both bounds
        return NOTHING if a_strict or b_strict else repeat(chars("0"), 0, None)
    head: list[Node] = [EMPTY] if _zero_allowed(a, b, a_strict, b_strict) else []
    if a[0] == b[0]:
        return alt(*head, seq(chars(a[0]), _digits_between(a[1:], b[1:], a_strict, b_strict)))
    lo, hi = int(a[0]), int(b[0])
    parts = [
        *head,
        seq(chars(a[0]), _digits_at_least(a[1:], a_strict)),
        seq(chars(b[0]), _digits_at_most(b[1:], b_strict)),
    ]
    if lo + 1 <= hi - 1:
        parts.append(seq(decimal_digit(lo + 1, hi - 1), _DIGITS))
    return alt(*parts)


def _frac_between(alpha: str, beta: str, a_strict: bool = False, b_strict: bool = False) -> Node:
    """Optional ``.F`` with ``0.alpha <= 0.F <= 0.beta`` (``<`` at a strict end)."""
    width = max(len(alpha), len(beta))
    inner = _digits_between(alpha.ljust(width, "0"), beta.ljust(width, "0"), a_strict, b_strict)
    # inner may match the empty string (no fraction digits); "." needs at least one digit.
    no_fraction = [EMPTY] if _zero_allowed(alpha, beta, a_strict, b_strict) else []
    return alt(*no_fraction, seq(_DOT, _nonempty(inner)))


def _nonempty(node: Node) -> Node:
    """``node`` minus the empty string, for the digit-string nodes built here (alternations of sequences)."""
    from constrained.regex_ast import Alt, Repeat, Seq

    if isinstance(node, Alt):
        return alt(*(_nonempty(i) for i in node.items if i != EMPTY))
    if isinstance(node, Repeat):
        return repeat(node.item, max(1, node.min), node.max) if node.max != 0 else NOTHING
    if isinstance(node, Seq) and node.items:
        first, rest = node.items[0], seq(*node.items[1:])
        if isinstance(first, Repeat) and first.min == 0:
            return alt(seq(_nonempty(first), rest), _nonempty(rest))
        return node
    return NOTHING if node == EMPTY else node


def _magnitude(a: Decimal, a_strict: bool, b: Decimal | None, b_strict: bool) -> Node:
    """Unsigned decimals ``I(.F)?`` with value between a (>= 0) and b (None = unbounded)."""
    if b is not None and (a > b or (a == b and (a_strict or b_strict))):
        return NOTHING
    whole_a, alpha = _split(a)
    if b is None:
        return alt(
            seq(literal(str(whole_a)), _frac_at_least(alpha, a_strict)),
            seq(_natural_range(whole_a + 1, None), optional(_FRACTION)),
        )
    whole_b, beta = _split(b)
    if whole_a == whole_b:
        return seq(literal(str(whole_a)), _frac_between(alpha, beta, a_strict, b_strict))
    return alt(
        seq(literal(str(whole_a)), _frac_at_least(alpha, a_strict)),
        seq(_natural_range(whole_a + 1, whole_b - 1), optional(_FRACTION)),
        seq(literal(str(whole_b)), _frac_at_most(beta, b_strict)),
    )


def number_range(lo: Decimal | None, lo_strict: bool, hi: Decimal | None, hi_strict: bool) -> Node:
    """Number texts (no exponent when bounded) with value in the given interval.

    Raises:
        NotExact: when the interval cannot be expressed exactly.
    """
    if lo is None and hi is None:
        return NUMBER
    parts: list[Node] = []
    zero = Decimal(0)
    if lo is None or lo < 0:  # negative values, written -m with m > 0 (never "-0")
        if hi is not None and hi < 0:
            m_lo, m_lo_strict = -hi, hi_strict
        else:
            m_lo, m_lo_strict = zero, True
        parts.append(seq(_MINUS, _magnitude(m_lo, m_lo_strict, None if lo is None else -lo, lo_strict)))
    if hi is None or hi > 0 or (hi == 0 and not hi_strict):
        if lo is not None and lo >= 0:
            parts.append(_magnitude(lo, lo_strict, hi, hi_strict))
        else:
            parts.append(_magnitude(zero, False, hi, hi_strict))
    return alt(*parts) if parts else NOTHING


MAX_STEP = 1_000  # multipleOf steps past this are refused: the divisibility automaton has a state per remainder


def multiples(step: int, lo: int | None, hi: int | None, max_values: int = 2000) -> Node:
    """Integers that are multiples of ``step`` within ``lo..hi`` (either may be None: unbounded), exactly.

    A bounded range with at most ``max_values`` multiples is listed; otherwise the integer texts of the range are
    intersected with an automaton that reads the digits keeping the remainder by ``step``.

    Raises:
        NotExact: ``step`` is above ``MAX_STEP`` and the range holds too many multiples to list.
    """
    step = abs(step)
    if step == 1:
        return integer_range(lo, hi)
    if lo is not None and hi is not None:
        first = -(-lo // step) * step
        values = range(first, hi + 1, step)
        if len(values) <= max_values:
            return alt(*(literal(str(v)) for v in values)) if values else NOTHING
    return intersection(integer_range(lo, hi), decimal_multiples(Decimal(step)))  # its fractions meet no integer


MAX_SCALE = 12  # fraction digits of a decimal multipleOf step (a state per digit position and remainder)


def decimal_multiples(step: Decimal) -> Node:
    """Decimal texts ``-?(0|[1-9][0-9]*)(.[0-9]+)?`` whose value is an exact multiple of ``step`` (no exponent).

    With ``step = a / 10**k`` (``a`` an integer), a text is a multiple when its value times ``10**k`` is an
    integer divisible by ``a``: the digits are read keeping that remainder, fraction digits past the ``k``-th
    must be ``0``. Exact decimal arithmetic, as the JSON Schema specification and the test suite state (Python's
    ``jsonschema`` divides floats: it calls 10.99 no multiple of 0.01).

    Raises:
        NotExact: ``a`` is above ``MAX_STEP`` or ``k`` above ``MAX_SCALE``.
    """
    _, _, exponent = step.normalize().as_tuple()
    k = max(0, -int(exponent))
    a = abs(int(step.scaleb(k)))
    if a == 0 or a > MAX_STEP or k > MAX_SCALE:
        raise NotExact(f"multipleOf {step} needs more than {MAX_STEP} remainders or {MAX_SCALE} fraction digits")
    # Classes: 0 other, 1 "-", 2 ".", 3..12 "0".."9". States: 0 dead, 1 start, 2 after "-", 3 a lone "0",
    # 4 trailing zeros past the k-th fraction digit, then integer part (remainder r) and fraction (j digits, r).
    byte_class = np.zeros(256, dtype=np.int32)
    byte_class[ord("-")], byte_class[ord(".")] = 1, 2
    for d in range(10):
        byte_class[ord("0") + d] = 3 + d

    def integer(r: int) -> int:
        return 5 + r

    def fraction(j: int, r: int) -> int:
        return 5 + a + j * a + r

    table = np.zeros((5 + a + (k + 1) * a, 13), dtype=np.int32)
    accepting = np.zeros(len(table), dtype=bool)
    for state in (1, 2):
        table[state, 3] = 3
        for d in range(1, 10):
            table[state, 3 + d] = integer(d % a)
    table[1, 1] = 2
    table[3, 2] = fraction(0, 0)
    accepting[3] = accepting[4] = True
    table[4, 3] = 4
    for r in range(a):
        table[integer(r), 2] = fraction(0, r)
        for d in range(10):
            table[integer(r), 3 + d] = integer((10 * r + d) % a)
        accepting[integer(r)] = (r * 10**k) % a == 0
        for j in range(k + 1):
            if j < k:
                for d in range(10):
                    table[fraction(j, r), 3 + d] = fraction(j + 1, (10 * r + d) % a)
            elif r == 0:
                table[fraction(j, r), 3] = 4  # past the k-th fraction digit: zeros only
            accepting[fraction(j, r)] = j >= 1 and (r * 10 ** (k - j)) % a == 0
    return table_node(table, accepting, byte_class)
