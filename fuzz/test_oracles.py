"""The oracles themselves (ECMA-262 patterns for JSON Schema, Lark's own import resolution), the known divergences
of our Lark reading from Lark's parser, and the schema's own verdict that keeps near-miss negatives honest."""

from __future__ import annotations

import pytest

import constrained
from constrained import fuzz
from constrained.grammar.compiled import compile_grammar_constraint
from fuzz.oracles import json_schema_oracle, lark_oracle
from tests.conftest import shared_path

# (schema, text, valid under ECMA-262 patterns): each row is one where Python's ``re`` answers the other way.
ECMA_ROWS = [
    ({"type": "string", "pattern": r"^[\w\s-]+$"}, '"a\ufeffb"', True),  # ECMA \s has U+FEFF
    ({"type": "string", "pattern": r"^[\w\s-]+$"}, '"a\\u001cb"', False),  # Python \s has U+001C, ECMA's not
    ({"type": "string", "pattern": "^a$"}, '"a\\n"', False),  # Python $ matches before a final newline
    ({"type": "string", "pattern": "^.$"}, '"\\r"', False),  # ECMA . excludes \r
    # A key with a line terminator is not matched by ^.*$, so it is an additional property, free to be any type.
    ({"type": "object", "patternProperties": {"^.*$": {"type": "string"}}}, '{"k\\r": 1}', True),
    ({"type": "object", "patternProperties": {"^.*$": {"type": "string"}}}, '{"k": 1}', False),
    ({"type": "object", "patternProperties": {"^x": {"type": "string"}}, "additionalProperties": False},
     '{"k\\n": 1}', False),
    ({"type": "object", "patternProperties": {"^x": {"type": "string"}}, "additionalProperties": False},
     '{"xa": "s"}', True),
]


@pytest.mark.parametrize(("schema", "text", "valid"), ECMA_ROWS)
def test_json_schema_oracle_uses_ecma_regexes(schema: dict, text: str, valid: bool) -> None:
    assert json_schema_oracle(schema)(text) is valid
    c = constrained.compile_json_schema(schema, None)
    if schema.get("type") == "string":  # our compiler follows ECMA too
        assert c.accepts(text) is valid


def test_lark_oracle_resolves_library_imports_as_our_compile_does() -> None:
    # A common.lark lying next to the grammar must not replace Lark's own (Outlines' folder has one whose
    # ESCAPED_STRING bans control characters; ours and Lark's allow them).
    path = shared_path("corpora", "outlines-grammars", "src", "outlines", "grammars", "json.lark")
    text = path.read_text()
    compiled = compile_grammar_constraint(text, "lark", None, base_dir=str(path.parent))
    assert compiled.accepts('"a\x01"') and lark_oracle(text, path)('"a\x01"')


def test_lazy_terminals_end_at_their_shortest_match_as_in_lark() -> None:
    # Lark's scanner takes a lazy pattern's first (shortest) match, so /"a.*?"/ never spans a second quote.
    grammar = 'start: S "!"\nS: /"a.*?"/\n'
    ours, lark_parses = constrained.compile_grammar(grammar, None), lark_oracle(grammar)
    for text in ('"a"x"!', '"ax"!', '"a"!', '"ax""!'):
        assert ours.accepts(text) == lark_parses(text), text


def test_lazy_terminals_lark_matches_by_backtracking_order_are_refused() -> None:
    with pytest.raises(constrained.UnsupportedFeature, match="lazy quantifier"):
        constrained.compile_grammar('start: S\nS: /"a.*?"/ "i"?\n', None)  # lazy, then a greedy repetition
    with pytest.raises(constrained.UnsupportedFeature, match="lazy quantifier"):
        constrained.compile_grammar('start: S\nS: /(ab|a)+?c/\n', None)  # lazy with an alternation


def test_known_divergence_ignored_tokens_of_every_length() -> None:
    # Our compile lets an %ignore'd token end anywhere; Lark takes only its longest match. A comment "//" that
    # stops before the ":" on its line is therefore ours only. Kept visible, as a finding of the corpus run.
    grammar = 'start: NAME ":"\nNAME: /[a-z]+/\nCOMMENT: "//" /[^\\n]/*\n%ignore COMMENT\n'
    assert constrained.compile_grammar(grammar, None).accepts("a//:")
    assert not lark_oracle(grammar)("a//:")
    assert lark_oracle(grammar)("a:") and lark_oracle(grammar)("a//x\n:") is False  # no newline allowed there


def test_negatives_drop_mutants_the_schema_itself_allows() -> None:
    schema = {"type": "integer"}
    c = constrained.compile_json_schema(schema, None)
    valid = fuzz.schema_validity(schema)
    unfiltered = fuzz.negatives(c, 200, seed=0)
    # Our compile is stricter than the schema (no whitespace around the value, no "-0"): some mutants are valid.
    assert any(valid(g.text) for g in unfiltered)
    kept = fuzz.negatives(c, 200, seed=0, valid=valid)
    assert len(kept) == 200
    assert not any(valid(g.text) or c.accepts(g.text) for g in kept)
    assert all(json_schema_oracle(schema)(g.text) is False for g in kept)


def test_schema_validity_is_strict_json() -> None:
    valid = fuzz.schema_validity({"type": "number"})
    assert valid("1.5") and valid(" 2 ")
    assert not valid("NaN") and not valid("Infinity") and not valid('"1"') and not valid("")
