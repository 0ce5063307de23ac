"""Property tests (hypothesis) for the exact building blocks: numeric ranges, string lengths, key complements."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from constrained.byte_dfa import ByteDFA
from constrained.json_schema.numbers import (
    MAX_STEP,
    NotExact,
    decimal_multiples,
    integer_range,
    multiples,
    number_range,
)
from constrained.json_schema.strings import quoted, string_body, string_not_in
from constrained.regex_ast import to_python_regex

small = st.integers(-5000, 5000)


@settings(max_examples=150, deadline=None)
@given(lo=st.none() | small, hi=st.none() | small, xs=st.lists(small, min_size=1, max_size=20))
def test_integer_range_exact(lo, hi, xs):
    pattern = re.compile(to_python_regex(integer_range(lo, hi)))
    for x in xs + [v for v in (lo, hi) if v is not None]:
        expected = (lo is None or x >= lo) and (hi is None or x <= hi)
        assert (pattern.fullmatch(str(x)) is not None) == expected, (lo, hi, x)


@settings(max_examples=120, deadline=None)
@given(step=st.integers(1, MAX_STEP), lo=st.none() | small, hi=st.none() | small,
       xs=st.lists(st.integers(-10**12, 10**12) | small, min_size=1, max_size=20), scale=st.integers(-10**6, 10**6))
def test_multiples_exact(step, lo, hi, xs, scale):  # fmt: skip
    dfa = ByteDFA.from_node(multiples(step, lo, hi))
    for x in [*xs, step * scale, *(v for v in (lo, hi) if v is not None)]:
        expected = x % step == 0 and (lo is None or x >= lo) and (hi is None or x <= hi)
        assert dfa.accepts(str(x).encode()) == expected, (step, lo, hi, x)
    assert not dfa.accepts(b"-0") and not dfa.accepts(b"00") and not dfa.accepts(str(step).encode() + b".0")


@settings(max_examples=100, deadline=None)
@given(a=st.integers(1, 200), k=st.integers(0, 4), xs=st.lists(st.decimals(min_value=-10**6, max_value=10**6,
       places=5, allow_nan=False, allow_infinity=False), min_size=1, max_size=20), m=st.integers(-10**5, 10**5))
def test_decimal_multiples_exact(a, k, xs, m):  # fmt: skip
    step = Decimal(a).scaleb(-k)
    dfa = ByteDFA.from_node(decimal_multiples(step))
    for x in [*xs, step * m]:
        text = format(x, "f")
        assert dfa.accepts(text.encode()) == (x % step == 0), (step, text)


decimals = st.decimals(min_value=-300, max_value=300, places=3, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(lo=st.none() | decimals, hi=st.none() | decimals, lo_x=st.booleans(), hi_x=st.booleans(),
       xs=st.lists(decimals, min_size=1, max_size=20))  # fmt: skip
def test_number_range_exact(lo, hi, lo_x, hi_x, xs):
    try:
        node = number_range(lo, lo_x, hi, hi_x)
    except NotExact:
        return
    pattern = re.compile(to_python_regex(node))
    for x in xs + [v for v in (lo, hi) if v is not None]:
        for text in (format(x, "f"), format(x.normalize(), "f"), format(x, "f") + "00"):
            if "." not in text and text.endswith("00") and text != format(x, "f"):
                continue  # appending zeros to an integer changes its value
            value = Decimal(text)
            if text.startswith("-") and value == 0:
                continue  # "-0..." is never produced
            expected = (lo is None or (value > lo if lo_x else value >= lo)) and (
                hi is None or (value < hi if hi_x else value <= hi)
            )
            assert (pattern.fullmatch(text) is not None) == expected, (lo, lo_x, hi, hi_x, text)


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=8), lo=st.integers(0, 4), span=st.none() | st.integers(0, 4), ascii_=st.booleans())
def test_string_length_counts_characters(text, lo, span, ascii_):
    hi = None if span is None else lo + span
    pattern = re.compile(to_python_regex(quoted(string_body(lo, hi))))
    try:
        encoded = json.dumps(text, ensure_ascii=ascii_)
        encoded.encode("utf-8")
    except UnicodeEncodeError:
        return  # lone surrogates are never produced (stricter)
    expected = lo <= len(text) and (hi is None or len(text) <= hi)
    assert (pattern.fullmatch(encoded) is not None) == expected


@settings(max_examples=50, deadline=None)
@given(names=st.lists(st.text(alphabet="ab\u00e9\"\\\n", max_size=3), max_size=4),
       probe=st.text(alphabet="ab\u00e9\"\\\nc", max_size=4), ascii_=st.booleans())  # fmt: skip
def test_key_complement(names, probe, ascii_):
    pattern = re.compile(to_python_regex(string_not_in(names)))
    assert (pattern.fullmatch(json.dumps(probe, ensure_ascii=ascii_)) is not None) == (probe not in names)
