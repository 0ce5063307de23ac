"""DFA products (intersection, difference) against Python's ``re`` as the oracle."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from constrained.byte_dfa import ByteDFA
from constrained.dfa_ops import difference, intersection, is_empty, shortest_matches
from constrained.regex_ast import NOTHING, literal, seq
from constrained.regex_parser import parse_regex

PATTERNS = ["a*", "(ab)*", "a?b+", "[ab]{2,3}", ".*b", "", "b|aa", "(a|b)*a(a|b)", "é?a*"]
words = st.text(alphabet="abé", max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(PATTERNS), st.sampled_from(PATTERNS), st.lists(words, min_size=1, max_size=8))
def test_products_match_re(p, q, texts):
    both = ByteDFA.from_node(seq(literal("<"), intersection(parse_regex(p), parse_regex(q)), literal(">")))
    minus = ByteDFA.from_node(seq(literal("<"), difference(parse_regex(p), parse_regex(q)), literal(">")))
    rp, rq = re.compile(p, re.DOTALL), re.compile(q, re.DOTALL)
    for t in texts:
        inp, inq = rp.fullmatch(t) is not None, rq.fullmatch(t) is not None
        data = f"<{t}>".encode()
        assert both.accepts(data) == (inp and inq), (p, q, t)
        assert minus.accepts(data) == (inp and not inq), (p, q, t)


def test_empty_results():
    assert intersection(parse_regex("a+"), parse_regex("b+")) == NOTHING
    assert is_empty(difference(parse_regex("a{2}"), parse_regex("a*")))
    assert not is_empty(difference(parse_regex("a*"), parse_regex("a{2}")))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(PATTERNS), st.lists(words, min_size=1, max_size=8))
def test_shortest_matches_are_the_words_without_a_matching_proper_prefix(p, texts):
    dfa = ByteDFA.from_node(seq(literal("<"), shortest_matches(parse_regex(p)), literal(">")))
    rp = re.compile(p, re.DOTALL)
    for t in texts:
        expected = rp.fullmatch(t) is not None and not any(rp.fullmatch(t[:i]) for i in range(len(t)))
        assert dfa.accepts(f"<{t}>".encode()) == expected, (p, t)
