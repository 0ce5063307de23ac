"""Accept/reject tables for the grammar front ends and the Earley recognizer (no vocabulary needed)."""

from __future__ import annotations

import random
import time

import pytest
from lark import Lark
from lark.exceptions import LarkError

from constrained.errors import BudgetExceeded, InvalidConstraint, UnsupportedFeature
from constrained.grammar import compile_grammar_constraint

GBNF_CASES = [
    # (grammar, accepted, rejected)
    ('root ::= "a" | root "a"', ["a", "aaaa"], ["", "b", "ab"]),  # left recursion
    ('root ::= "a" root | "a"', ["a", "aaaa"], ["", "ba"]),  # right recursion
    ("root ::= [a-z]* [a-z0-9]*", ["", "abc", "abc123", "1a", "9"], ["A", "ab-", "-"]),  # split points
    ('root ::= "(" root ")" root | ""', ["", "()", "(())()", "((()))"], ["(", ")(", "(()"]),  # nested brackets
    ('root ::= x "b"\nx ::= "a"*', ["b", "aab"], ["a", "ba"]),  # nullable rule
    ('root ::= ("ab" | "a")("bc" | "c")', ["abc", "abbc", "ac"], ["ab", "abcc"]),
    ('root ::= [^"\\\\]+ "!"', ["x!", "日本!"], ["!", 'a"!']),
    ('root ::= "\\x41\\u00e9\\U0001F600"', ["Aé😀"], ["A", "Ae😀"]),
    ("root ::= .{2,3}", ["ab", "日本", "abc"], ["a", "abcd"]),
    ('root ::= "x"{2} "y"{1,} "z"{0,2}', ["xxy", "xxyyzz"], ["xy", "xxyzzz"]),
    ('root ::= ( "a" # comment\n  | "b" )\n# trailing', ["a", "b"], ["ab"]),
    ('root ::= "a" |\n  "b"\nother ::= "c"', ["a", "b"], ["c"]),
    (
        'root ::= e\ne ::= t | e "+" t\nt ::= f | t "*" f\nf ::= [0-9]+ | "(" e ")"',
        ["1+2*3", "(1+2)*3", "12"],
        ["1+", "()", "1**2"],
    ),  # fmt: skip
]


@pytest.mark.parametrize(("grammar", "good", "bad"), GBNF_CASES)
def test_gbnf_accept_reject(grammar: str, good: list[str], bad: list[str]) -> None:
    g = compile_grammar_constraint(grammar, "gbnf", None)
    assert [s for s in good if not g.accepts(s)] == []
    assert [s for s in bad if g.accepts(s)] == []


LARK_CASES = [
    ('start: x+\nx: "a" | "b"\n%ignore " "', ["a", " a b ", "ab"], ["", "c", " "]),
    (
        'start: NAME "=" NUMBER\n%import common.CNAME -> NAME\n%import common.NUMBER\n%import common.WS\n%ignore WS',
        ["x = 1", "x=1.5", " _a1 =\n2e3 "],
        ["1 = x", "x =", "x = 1 2"],
    ),  # fmt: skip
    ("start: STRING\n%import common.ESCAPED_STRING -> STRING", ['"a"', '"a\\"b"', '""'], ['"a"b"', '"a\\"', "a"]),
    ('start: "select"i WORD\nWORD: /[a-z]+/i', ["SELECTabc", "sElEcTX"], ["selec", "select"]),
    ('start: list\nlist: "[" [item ("," item)*] "]"\n?item: list | /[0-9]/', ["[]", "[1,[2,[]]]"], ["[1,]", "[[]"]),
    ("start: A B\nA: /[a-z]*/\nB: /[a-z0-9]*/", ["", "abc", "abc123", "1a"], ["A", "ab-", "-"]),  # split points
    ("start: a b\na: /a*/\nb: /a*b/", ["b", "aab", "aaaab"], ["", "a", "ba"]),  # nullable terminal
    ("start: (A | B)+\nA: /a+/\nB: /a+b/", ["a", "aab", "abaab"], ["b", "ba"]),
    ('start: _sep{x}\n_sep{item}: item ("," item)*\nx: "x"', ["x", "x,x"], ["x,", ""]),  # template
]


@pytest.mark.parametrize(("grammar", "good", "bad"), LARK_CASES)
def test_lark_accept_reject(grammar: str, good: list[str], bad: list[str]) -> None:
    g = compile_grammar_constraint(grammar, "lark", None)
    assert [s for s in good if not g.accepts(s)] == []
    assert [s for s in bad if g.accepts(s)] == []


ORACLE_GRAMMARS = [
    ("start: a+ b*\na: /[ab]+/\nb: /b[ab]?/", "abc"),
    ('start: e\ne: e "+" t | t\nt: t "*" f | f\nf: /[0-9]+/ | "(" e ")"\n%ignore " "', "12+*() "),
    ('start: x*\nx: "a" x "b" | "ab" | /a+/', "ab"),
]


@pytest.mark.parametrize(("grammar", "alphabet"), ORACLE_GRAMMARS)
def test_random_strings_agree_with_python_lark(grammar: str, alphabet: str) -> None:
    """All-split-points semantics == Lark's Earley with ``dynamic_complete`` (which also tries every split)."""
    ours = compile_grammar_constraint(grammar, "lark", None)
    ref = Lark(grammar, parser="earley", lexer="dynamic_complete")
    rng = random.Random(7)
    accepted = 0
    for _ in range(300):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7)))
        try:
            ref.parse(s)
            want = True
        except LarkError:
            want = False
        assert ours.accepts(s) == want, s
        accepted += want
    assert 10 < accepted < 290  # the sample must exercise both answers


def test_left_and_right_recursion_scale() -> None:
    left = compile_grammar_constraint('root ::= root "a" | "a"', "gbnf", None)
    right = compile_grammar_constraint('root ::= "a" root | "a"', "gbnf", None)
    t = time.perf_counter()
    assert left.accepts("a" * 3000)
    assert right.accepts("a" * 5000)  # Leo items: right recursion is linear too
    assert not right.accepts("a" * 5000 + "b")
    assert time.perf_counter() - t < 10


def test_bytes_and_invalid_utf8() -> None:
    g = compile_grammar_constraint("root ::= [é]+", "gbnf", None)
    assert g.accepts("é".encode())
    assert not g.accepts("é".encode()[:1])
    assert not g.accepts(b"\xff")


@pytest.mark.parametrize(
    ("grammar", "syntax", "error", "where"),
    [
        ('rot ::= "a"', "gbnf", InvalidConstraint, "line 1"),
        ("root ::= x\nx ::= y", "gbnf", InvalidConstraint, "line 2"),
        ('root ::= "a', "gbnf", InvalidConstraint, "line 1"),
        ('root ::= "a" )', "gbnf", InvalidConstraint, "line 1"),
        ('root ::= "\\q"', "gbnf", InvalidConstraint, "line 1"),
        ("root ::= [b-a]", "gbnf", InvalidConstraint, "line 1"),
        ("root ::= <think>", "gbnf", UnsupportedFeature, "line 1"),
        ('root ::= x\nx ::= x "a"', "gbnf", InvalidConstraint, "root"),  # empty language
        ("start: x\nx: y", "lark", InvalidConstraint, ""),
        ("start: x\n%declare x", "lark", InvalidConstraint, ""),
        ("start: INDENT\n%declare INDENT", "lark", UnsupportedFeature, "INDENT"),
        ("start: /(?<=a)b/", "lark", UnsupportedFeature, "terminal"),
        ("start: /a/x", "lark", UnsupportedFeature, "regex flag"),
        ("start: %%%", "lark", InvalidConstraint, "line 1"),
        ('start: "a"\n%import .other.X', "lark", UnsupportedFeature, "relative %import"),
        ("start: <[100]>", "lark", UnsupportedFeature, "token reference"),
        ('start: x{2,3}\nx: "a"', "lark", UnsupportedFeature, "repetition"),
        ("start: %json {}", "lark", UnsupportedFeature, "%json"),
    ],
)
def test_errors_name_the_problem(grammar: str, syntax: str, error: type[Exception], where: str) -> None:
    with pytest.raises(error) as info:
        compile_grammar_constraint(grammar, syntax, None)
    assert where in str(info.value)


def test_budgets_raise_instead_of_hanging() -> None:
    with pytest.raises(BudgetExceeded):
        compile_grammar_constraint("root ::= [a-z]{0,300} [0-9]", "gbnf", None, max_terminal_states=50)
    with pytest.raises(BudgetExceeded):  # at compile time (first set) or while parsing
        g = compile_grammar_constraint('root ::= x\nx ::= "(" x ")" | [a-z]*', "gbnf", None, max_items=5)
        g.accepts("((((a))))")
    ambiguous = compile_grammar_constraint("start: x+\nx: A | x A\nA: /a+/", "lark", None, max_work=20_000)
    assert ambiguous.accepts("a" * 20)
    with pytest.raises(BudgetExceeded) as info:  # Earley is cubic here: refuse instead of taking minutes
        ambiguous.accepts("a" * 400)
    assert info.value.limit == "max_set_work"


def test_unknown_syntax() -> None:
    with pytest.raises(InvalidConstraint):
        compile_grammar_constraint("root ::= x", "ebnf", None)


def test_gbnf_falls_back_to_rules_when_inlining_is_too_big() -> None:
    grammar = 'root ::= w "-" w "-" w\nw ::= [a-z]{0,30} [0-9]'
    g = compile_grammar_constraint(grammar, "gbnf", None, max_terminal_states=40)
    assert len(g.cfg.grammar.rules) > 1  # the fallback kept ``w`` as a rule
    assert g.accepts("abc1-2-x3") and not g.accepts("abc1-2-") and not g.accepts("a-b-c")
    inlined = compile_grammar_constraint(grammar, "gbnf", None)
    assert len(inlined.cfg.grammar.rules) == 1 and inlined.accepts("abc1-2-x3")


def test_lark_regex_classes_have_python_unicode_meaning() -> None:
    """Lark terminals are Python regexes: ``\\d \\w \\s`` are Unicode-aware there, and must be here too."""
    import re

    pattern = r"\w+ [\d\s-]+[^\W_][]a]"
    g = compile_grammar_constraint(r'start: /\w+/ " " /[\d\s-]+/ /[^\W_]/ /[]a]/', "lark", None)
    rng = random.Random(1)
    pool = "aé_1٣ -\u2003\u00a0]x日Ⅷ"
    matched = 0
    for _ in range(400):

        def pick(part: str, k: int) -> str:  # mostly from the part's own pool, sometimes anything
            return "".join(rng.choice(part if rng.random() < 0.8 else pool) for _ in range(k))

        s = pick("aé_1٣x日Ⅷ", rng.randint(1, 3)) + " " + pick("1٣ -\u2003\u00a0", rng.randint(1, 3))
        s += pick("aé1x日", 1) + pick("]a", 1)
        want = re.fullmatch(pattern, s) is not None
        assert g.accepts(s) == want, s
        matched += want
    assert 20 < matched < 380
