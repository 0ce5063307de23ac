"""Regex front end: accept/reject tables against Python's ``re`` and refusals by feature name."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constrained import BudgetExceeded, InvalidConstraint, UnsupportedFeature, compile_regex
from constrained.byte_dfa import DEAD, ByteDFA
from constrained.regex_parser import parse_regex

# (pattern, strings to try): the oracle is re.fullmatch (ASCII flag: ECMA \d \w \s are ASCII-ish).
ORACLE = [
    (r"abc", ["abc", "ab", "abcd", ""]),
    (r"a|b|", ["a", "b", "", "ab"]),
    (r"(ab)*c", ["c", "abc", "ababc", "abac", "ab"]),
    (r"[a-c]{2,3}", ["ab", "abc", "a", "abca", "abd"]),
    (r"[^a-c]+", ["xyz", "xaz", "", "\n"]),
    (r"a{3}", ["aaa", "aa", "aaaa"]),
    (r"a{2,}", ["a", "aa", "aaaaaa"]),
    (r"a{,2}", ["", "a", "aa", "aaa"]),
    (r"a{x}", ["a{x}", "a"]),
    (r"a{", ["a{", "a"]),
    (r"\d+\.\d*", ["1.", "12.34", ".5", "1"]),
    (r"\w+\s\W", ["ab_9 !", "ab  !", "a\t-"]),
    (r"\D\S", ["a1", "1a", "aa"]),
    (r"[a\-z]", ["-", "a", "b"]),
    (r"[]a]", ["]", "a", "b"]),
    (r"[-a]", ["-", "a"]),
    (r"a.c", ["abc", "a\nc", "a.c", "ac"]),
    (r"x*?y+?z??", ["y", "xxyyz", "z"]),
    (r"(?:ab|cd)+", ["ab", "abcd", "abc", ""]),
    (r"(?P<year>\d{4})-(?P<m>\d\d)", ["2024-01", "24-01"]),
    (r"\x41\u00e9\t\n\\\.\/", ["Aé\t\n\\./", "Ae\t\n\\./"]),
    (r"é+|ü|日本", ["é", "éé", "ü", "日本", "日"]),
    (r"[α-ω]+", ["αβ", "ω", "a"]),
    (r"a(?#comment)b", ["ab", "a(?#comment)b"]),
    (r"(a|b)*abb", ["abb", "aabb", "babb", "ab"]),
    (r"((a|b)c)*", ["", "ac", "acbc", "abc"]),
    (r"^abc$", ["abc", "abcd"]),
    (r"^a|b$", ["a", "b", "ab"]),
    (r"\Aab\Z", ["ab", "a"]),
    (r"(?!ab)[a-z]+", ["ab", "abc", "a", "ba", "b"]),
    (r"(?=.*\d)[a-z0-9]{2,4}", ["ab", "a1", "1234", "abcd1", "a"]),
    (r"a(?=b)", ["a", "ab"]),
    (r"a(?!b)", ["a", "ab"]),
    (r"x(?=a|bb)\w+|y", ["xa", "xbb", "xb", "y", "xab"]),
    (r"(?!a)(?=.b)..", ["ab", "bb", "ba", "cb"]),
]


@pytest.mark.parametrize(("pattern", "texts"), ORACLE)
def test_matches_python_re(pattern: str, texts: list[str]) -> None:
    c = compile_regex(pattern, None)
    for text in texts:
        expected = re.fullmatch(pattern, text, re.ASCII) is not None
        assert c.accepts(text) == expected, (pattern, text)


SEARCH_CASES = [  # JSON Schema patterns (search semantics): lookaheads outside every group, anchors in repeats
    r"^(?!ab)[a-c]+$", r"(?=a)", r"^(?=.*c)(?!.*aa).*$", r"b(?!c)", r"^(?!a|bc)", r"(?=ab|ca)c?", r"^a(?=b*$)",
    r"^([^,]+(,|$)){3,}$", r"(^a|b)+c", r"(c|b$){2}", r"(^a$|b){1,2}", r"(^a|b$|c){2,3}", r"(^a)+", r"(a$)*",
    r"(^a){2}", r"^(a|b(?!c))c?$", r"(a(?=b)|c)b", r"x?(?:b|a(?!a|b),)|(?:c(?=a))a",
]


SEARCH_TEXTS = ["", "a", "b", "ab", "ba", "acb", "abc", "cab", "aab", "abb", "a,b,c", "a,b", "a,b,c,", "ac,b,c"]


@pytest.mark.parametrize("pattern", SEARCH_CASES)
def test_search_patterns_on_chosen_texts(pattern: str) -> None:
    dfa = ByteDFA.from_node(parse_regex(pattern, search=True))
    for text in SEARCH_TEXTS:
        state = dfa.walk(dfa.start, text.encode())
        found = state != DEAD and bool(dfa.accepting[state])
        assert found == (re.search(pattern, text) is not None), (pattern, text)


@settings(max_examples=80, deadline=None)
@given(pattern=st.sampled_from(SEARCH_CASES), texts=st.lists(st.text("abc,", max_size=7), max_size=20))
def test_search_patterns_match_python_re(pattern: str, texts: list[str]) -> None:
    dfa = ByteDFA.from_node(parse_regex(pattern, search=True))
    for text in texts:
        state = dfa.walk(dfa.start, text.encode())
        found = state != DEAD and bool(dfa.accepting[state])
        assert found == (re.search(pattern, text) is not None), (pattern, text)


def test_class_escape_then_dash_is_literal_dash() -> None:
    c = compile_regex(r"[\d-z]+", None)  # ECMA Annex B; Python's re refuses this one
    assert c.accepts("1-z") and c.accepts("-")
    assert not c.accepts("a")


def test_ecma_escapes() -> None:
    c = compile_regex(r"\u{1F600}\x{41}\uD83D\uDE00\cA", None)
    assert c.accepts("😀A😀\x01")
    assert not c.accepts("😀A😀A")


def test_ecma_whitespace_and_word() -> None:
    c = compile_regex(r"\s\w", None)
    assert c.accepts("\u00a0a") and c.accepts("\ufeff_") and c.accepts("\u2028Z")
    assert not c.accepts(" é")  # \w is ASCII-only in ECMA-262


def test_unicode_properties() -> None:
    c = compile_regex(r"\p{Lu}\p{Ll}+\P{L}\p{N}", None)
    assert c.accepts("\u01c5éλ 5") is False  # U+01C5 is Lt, not Lu
    assert c.accepts("Ééλ 5")
    assert c.accepts("Aa-٣")
    assert not c.accepts("aa-3")
    assert compile_regex(r"\p{Letter}\pL\p{gc=Nd}", None).accepts("ab1")


@pytest.mark.parametrize(
    ("pattern", "keyword"),
    [
        (r"(a)\1", "backreference"),
        (r"(?P<x>a)(?P=x)", "backreference"),
        (r"(?<x>a)\k<x>", "backreference"),
        (r"(a(?=b))", "lookahead"),
        (r"(?:x(?!b))*", "lookahead"),
        (r"(?<=a)b", "lookbehind"),
        (r"(?<!a)b", "lookbehind"),
        (r"\bword\b", "word boundary"),
        (r"a\B", "word boundary"),
        (r"a*+", "possessive quantifier"),
        (r"(?i)abc", "inline flags"),
        (r"(?>a)", "atomic group"),
        (r"a^b", "anchor"),
        (r"a$b", "anchor"),
        (r"(^a)", "anchor"),
        (r"\p{Script=Greek}", "unicode property"),
        (r"\p{NoSuchThing}", "unicode property"),
    ],
)
def test_refusals_name_the_feature(pattern: str, keyword: str) -> None:
    with pytest.raises(UnsupportedFeature) as info:
        parse_regex(pattern)
    assert info.value.keyword == keyword
    assert info.value.pointer.startswith("offset ")


@pytest.mark.parametrize(
    ("pattern", "offset"),
    [("(ab", 0), ("ab)", 2), ("[ab", 0), ("*a", 0), ("a**", 2), ("a{3,2}", 0), ("\\", 0), ("[z-a]", 2),
     ("\\q", 0), ("\\xZZ", 0), ("a{2}{3}", 4)],
)  # fmt: skip
def test_syntax_errors_have_offsets(pattern: str, offset: int) -> None:
    with pytest.raises(InvalidConstraint) as info:
        parse_regex(pattern)
    assert info.value.location == f"offset {offset}"


@pytest.mark.parametrize(
    ("pattern", "yes", "no"),
    [
        ("abc", ["abc", "xxabcyy", "ab\nabc\n"], ["ab", "acb"]),
        ("^abc", ["abc", "abcz"], ["zabc"]),
        ("abc$", ["abc", "zabc"], ["abcz"]),
        ("^abc$", ["abc"], ["zabc", "abcz"]),
        ("^a|b$", ["a", "az", "zb"], ["za", "bz"]),
        ("a.c", ["abc"], ["a\nc", "a\rc", "a\u2028c"]),
        ("", ["", "anything"], []),
    ],
)
def test_search_mode(pattern: str, yes: list[str], no: list[str]) -> None:
    from constrained.byte_dfa import ByteDFA

    dfa = ByteDFA.from_node(parse_regex(pattern, search=True))
    for text in yes:
        assert dfa.accepts(text.encode()), text
    for text in no:
        assert not dfa.accepts(text.encode()), text


ANCHORED_PATTERNS = [
    r"^$|(^(?:\S+\s+){0,3}\S+$)", r"(^[0-9]+\.[0-9]+$)", r"^([^,]|$)", r"(^gs://(.+))|(^ht://(.+))",
    r"(^Hp_|^In_|_Ar_)", r"(^$)|(^[a-f0-9]{3}$)", r"(^a|b$)c", r"a^b", r"a$b", r"(^a)?b", r"x(^)?y", r"(a|^)b",
    r"(a$)?$", r"^(\d{2}(-\d)?$)|(^\d{2}T$)", r"((^))a", r"a(($))", r"a*^b",
    r"(a?)^b$", r"a$(b*)",
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ANCHORED_PATTERNS), st.text(alphabet="ab c,_Hpt0123T-:/.fgsIAr", max_size=9))
def test_search_mode_anchors_anywhere_match_python_search(pattern: str, text: str) -> None:
    # ECMA and Python agree on '^'/'$' without flags for texts without a newline (Python's '$' would also
    # match before a final one).
    from constrained.byte_dfa import ByteDFA

    dfa = ByteDFA.from_node(parse_regex(pattern, search=True))
    assert dfa.accepts(text.encode()) == (re.search(pattern, text) is not None)


@pytest.mark.parametrize("pattern", [r"(^a?)+", r"($|a)*", r"(^|b){2}"])
def test_search_mode_refuses_a_repeated_anchor_that_may_match_empty(pattern: str) -> None:
    with pytest.raises(UnsupportedFeature) as info:
        parse_regex(pattern, search=True)
    assert info.value.keyword == "anchor"


@pytest.mark.parametrize("pattern", [r"(?:a(?!b))*", r"^((?!x).)*$", r"(a(?=b))+", r"(?<=a)b"])
def test_search_mode_refuses_lookaround_it_cannot_distribute(pattern: str) -> None:
    with pytest.raises(UnsupportedFeature) as info:
        parse_regex(pattern, search=True)
    assert info.value.keyword in ("lookahead", "lookbehind")


def test_large_patterns_parse_fast() -> None:
    big_alt = "|".join(f"item{i}" for i in range(12000))  # ~100 KB
    t0 = time.perf_counter()
    node = parse_regex(big_alt)
    big_lit = parse_regex("abcdefgh" * 13000)
    assert time.perf_counter() - t0 < 3.0
    assert node is not None and big_lit is not None


def test_deep_nesting_is_a_budget_error() -> None:
    with pytest.raises(BudgetExceeded):
        parse_regex("(" * 500 + "a" + ")" * 500)
    assert compile_regex("(" * 50 + "a" + ")" * 50, None).accepts("a")


@pytest.mark.parametrize(
    ("pattern", "yes", "no"),
    [
        ("(?s)a.b", ["a\nb", "axb"], ["ab"]),
        ("(?s:a.)b.", ["a\nbx"], ["a\nb\n"]),
        ("(a(?s).)b.", ["a\nbx"], ["a\nb\n"]),
        ("(?m)^ab$", ["ab"], ["ab\n"]),
        ("(?U)a+b*", ["aab"], ["b"]),
        ("(?s-m)a.", ["a\n"], ["a"]),
        ("[[:alpha:]_]+[[:^digit:]]", ["ab_x", "a-"], ["a1", "1x"]),
    ],
)
def test_inline_flags_and_posix_classes(pattern: str, yes: list[str], no: list[str]) -> None:
    c = compile_regex(pattern, None)
    for text in yes:
        assert c.accepts(text), text
    for text in no:
        assert not c.accepts(text), text


@pytest.mark.parametrize(
    ("pattern", "search", "keyword"),
    [("(?i)a", False, "inline flags"), ("(?x)a", False, "inline flags"), ("(?s)a", True, "inline flags"),
     ("[[:alpha:]]", True, "posix class"), ("[[:nope:]]", False, "posix class")],
)  # fmt: skip
def test_flag_and_posix_refusals(pattern: str, search: bool, keyword: str) -> None:
    with pytest.raises(UnsupportedFeature) as info:
        parse_regex(pattern, search=search)
    assert info.value.keyword == keyword
