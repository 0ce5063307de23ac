"""Random small Lark grammars: our recognizer must agree with python-lark's Earley (``dynamic_complete``, which
also tries every split point) on random strings."""

from __future__ import annotations

import random

import pytest
from lark import Lark
from lark.exceptions import GrammarError, LarkError

from constrained.grammar import compile_grammar_constraint

TERMINALS = ['"a"', '"b"', '"ab"', "/a+/", "/ab?/", "/b+a/", "/[ab]/"]


def _random_grammar(rng: random.Random) -> str:
    names = ["start", "x", "y"]
    lines = []
    for name in names:
        alts = []
        for _ in range(rng.randint(1, 3)):
            items = []
            for _ in range(rng.randint(1, 3)):
                sym = rng.choice(names[1:] + TERMINALS + TERMINALS) if name != "y" else rng.choice(TERMINALS + ["x"])
                items.append(sym + rng.choice(["", "", "", "?", "*", "+"]))
            alts.append(" ".join(items))
        lines.append(f"{name}: " + " | ".join(alts))
    return "\n".join(lines)


@pytest.mark.parametrize("seed", range(8))
def test_random_grammars_agree_with_python_lark(seed: int) -> None:
    rng = random.Random(seed)
    checked = grammars = accepted = 0
    while grammars < 5:
        text = _random_grammar(rng)
        try:
            ref = Lark(text, parser="earley", lexer="dynamic_complete")
        except GrammarError:
            continue
        grammars += 1
        ours = compile_grammar_constraint(text, "lark", None)
        for _ in range(40):
            s = "".join(rng.choice("ab") for _ in range(rng.randint(0, 6)))
            try:
                ref.parse(s)
                want = True
            except LarkError:
                want = False
            assert ours.accepts(s) == want, (text, s)
            checked += 1
            accepted += want
    assert checked == 200
    assert 5 < accepted < 195  # both answers are exercised
