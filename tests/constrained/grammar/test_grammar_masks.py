"""Token masks for grammars: fast == reference, boundary-crossing and split-UTF-8 tokens, EOS/specials, rollback."""

from __future__ import annotations

import random

import numpy as np
import pytest
from lark import Lark
from lark.exceptions import LarkError

from constrained.grammar import compile_grammar_constraint
from constrained.vocab import Vocabulary

PIECES = [b'"},{"', b'{"', b'":', b'",', b'"}', b"]}", b"},", b"true", b"null", b' "', b"\n ", b"12", b"3.", b"e-",
          "é".encode(), "日".encode(), "日".encode()[:2], b"ab", b"a+", b"+(", b")*", b"  ", b'\\"', b"[{"]  # fmt: skip
EOS = 256 + len(PIECES)
SPECIAL = EOS + 1


@pytest.fixture(scope="module")
def toy_vocab() -> Vocabulary:
    """256 single bytes, multi-byte pieces that cross terminal boundaries, EOS and one special token."""
    tokens: list[bytes | None] = [bytes([b]) for b in range(256)] + PIECES + [b"</s>", b"<|x|>"]
    return Vocabulary.from_token_bytes(tokens, eos_token_ids=[EOS], special_token_ids=[SPECIAL], size=len(tokens) + 5)


JSON_LARK = r"""
?start: value
?value: object | array | STRING | NUMBER | "true" | "false" | "null"
array: "[" [value ("," value)*] "]"
object: "{" [pair ("," pair)*] "}"
pair: STRING ":" value
STRING: /"(?:[^"\\\x00-\x1f]|\\["\\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/
NUMBER: /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/
%import common.WS
%ignore WS
"""
ARITH_LARK = 'start: e\ne: e "+" t | t\nt: t "*" f | f\nf: /[a-z0-9]+/ | "(" e ")"\n%ignore " "'
BRACKETS_GBNF = 'root ::= item+\nitem ::= "(" item* ")" | "[" item* "]" | [a-z]+'

GRAMMARS = [(JSON_LARK, "lark"), (ARITH_LARK, "lark"), (BRACKETS_GBNF, "gbnf")]


def _bits(words: np.ndarray) -> set[int]:
    return set(np.flatnonzero(np.unpackbits(words.view(np.uint8), bitorder="little")).tolist())


def _mask(m: object) -> np.ndarray:
    words = np.full(m.num_words + 2, -1, dtype=np.int32)  # type: ignore[attr-defined]
    m.fill_bitmask(words)  # type: ignore[attr-defined]
    assert (words[m.num_words :] == 0).all()  # type: ignore[attr-defined]
    return words[: m.num_words]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("grammar", "syntax"), GRAMMARS)
def test_random_walks_fast_equals_reference(toy_vocab: Vocabulary, grammar: str, syntax: str) -> None:
    g = compile_grammar_constraint(grammar, syntax, toy_vocab)
    oracle = Lark(grammar, parser="earley", lexer="dynamic_complete") if syntax == "lark" else None
    rng = random.Random(3)
    finished = 0
    for _ in range(12):
        m = g.matcher()
        text = b""
        for step in range(60):
            words = _mask(m)
            assert np.array_equal(words, g.index.mask_reference(m.state)), (text, step)
            allowed = _bits(words)
            assert SPECIAL not in allowed
            assert (EOS in allowed) == m.is_accepting() == g.accepts(text)
            choices = sorted(allowed - {EOS})
            if EOS in allowed and (step > 20 or not choices or rng.random() < 0.1):
                assert m.advance(EOS)
                finished += 1
                break
            assert choices, text
            # Prefer structure tokens so walks close brackets instead of wandering inside strings.
            tok = rng.choice([t for t in choices if t >= 256] or choices) if rng.random() < 0.5 else rng.choice(choices)
            assert m.advance(tok)
            text += toy_vocab.token_bytes[tok] or b""
        if m.is_terminated():
            assert g.accepts(text)
            if oracle is not None:
                try:
                    oracle.parse(text.decode("utf-8"))
                except (LarkError, UnicodeDecodeError) as e:
                    raise AssertionError(f"python-lark rejects {text!r}: {e}") from None
    assert finished >= 3


def test_tokens_crossing_terminal_boundaries(toy_vocab: Vocabulary) -> None:
    g = compile_grammar_constraint(JSON_LARK, "lark", toy_vocab)
    cross = 256 + PIECES.index(b'"},{"')
    m = g.matcher()
    for piece in (b"[", b"{", b'"a"', b":", b'"x'):
        assert m.advance_bytes(piece)
    assert cross in m.allowed_token_ids()  # ends the string, the object, and opens the next object's key
    assert m.advance(cross)
    m2 = g.matcher()
    for piece in (b"{", b'"a"', b":", b'"x'):
        assert m2.advance_bytes(piece)
    assert cross not in m2.allowed_token_ids()  # a lone object cannot be followed by ","
    assert not m2.advance(cross)


def test_split_utf8_characters(toy_vocab: Vocabulary) -> None:
    g = compile_grammar_constraint('root ::= "日" "é"+', "gbnf", toy_vocab)
    m = g.matcher()
    nichi = "日".encode()
    partial = 256 + PIECES.index(nichi[:2])
    allowed = set(m.allowed_token_ids())
    assert {nichi[0], partial, 256 + PIECES.index(nichi)} <= allowed
    assert nichi[1] not in allowed
    assert m.advance(partial)
    assert m.allowed_token_ids() == [nichi[2]]
    assert m.advance(nichi[2])
    assert not m.is_accepting() and EOS not in m.allowed_token_ids()
    assert m.advance(0xC3) and not m.is_accepting()
    assert m.advance(0xA9) and m.is_accepting()
    assert EOS in m.allowed_token_ids()


def test_eos_specials_and_termination(toy_vocab: Vocabulary) -> None:
    g = compile_grammar_constraint('root ::= "ab" | "ab" root', "gbnf", toy_vocab)
    m = g.matcher()
    assert not m.advance(EOS) and not m.advance(SPECIAL) and not m.advance(toy_vocab.size + 3)
    assert not m.advance(toy_vocab.size - 1)  # an id with no bytes
    assert m.advance(256 + PIECES.index(b"ab"))
    assert m.is_accepting() and not m.is_terminated()
    assert m.advance(EOS) and m.is_terminated()
    assert m.allowed_token_ids() == [] and not _mask(m).any()
    assert not m.advance(ord("a"))
    fixed = compile_grammar_constraint('root ::= "ab"', "gbnf", toy_vocab).matcher()
    assert fixed.advance(ord("a")) and fixed.advance(ord("b")) and fixed.is_terminated()
    assert fixed.allowed_token_ids() == [EOS]
    with pytest.raises(ValueError):
        fixed.fill_bitmask(np.zeros(1, dtype=np.int32))


def test_rollback_replay_and_copy(toy_vocab: Vocabulary) -> None:
    g = compile_grammar_constraint(JSON_LARK, "lark", toy_vocab)
    m = g.matcher()
    tokens = [256 + PIECES.index(b"[{"), ord('"'), ord("k"), 256 + PIECES.index(b'":'), ord(" "), ord("1"), ord("]")]
    masks = [_mask(m).copy()]
    for t in tokens[:-1]:
        assert m.advance(t)
        masks.append(_mask(m).copy())
    assert not m.advance(tokens[-1])  # "]" cannot close an object
    twin = m.copy()
    m.rollback(3)
    assert np.array_equal(_mask(m), masks[-4])
    for t, want in zip(tokens[3:-1], masks[4:], strict=True):
        assert m.advance(t)
        assert np.array_equal(_mask(m), want)
    assert np.array_equal(_mask(twin), masks[-1])
    twin.advance(ord("}"))
    assert np.array_equal(_mask(m), masks[-1])  # the copy is independent
    with pytest.raises(ValueError):
        m.rollback(len(tokens) + 1)
    m.reset()
    assert np.array_equal(_mask(m), masks[0])


def test_matcher_needs_vocab() -> None:
    g = compile_grammar_constraint('root ::= "a"', "gbnf", None)
    with pytest.raises(Exception, match="vocab"):
        g.matcher()


def test_forced_tokens() -> None:
    vocab = Vocabulary.from_token_bytes([b"a", b"b", b"c", b"</s>"], eos_token_ids=[3])
    g = compile_grammar_constraint('root ::= "ab" ("c" | "bc")', "gbnf", vocab)
    m = g.matcher()
    assert m.forced_tokens() == [0, 1]
    assert m.allowed_token_ids() == [0]  # forced_tokens does not move the matcher


def test_bpe_vocab_json_gbnf(bpe_vocab: Vocabulary) -> None:
    """A trained byte-level BPE vocabulary (merged tokens like ``": [``) on a GBNF JSON grammar."""
    grammar = r"""
root ::= value
value ::= object | array | string | number | ("true" | "false" | "null")
object ::= "{" ws ( string ":" ws value ("," ws string ":" ws value)* )? "}"
array ::= "[" ws ( value ("," ws value)* )? "]"
string ::= "\"" [^"\\]* "\"" ws
number ::= "-"? [0-9]+ ("." [0-9]+)? ws
ws ::= [ ]?
"""
    g = compile_grammar_constraint(grammar, "gbnf", bpe_vocab)
    rng = random.Random(11)
    for _ in range(6):
        m = g.matcher()
        for _ in range(25):
            words = m.mask()
            assert np.array_equal(words, g.index.mask_reference(m.state))
            ids = [i for i in m.allowed_token_ids() if i not in bpe_vocab.eos_token_ids]
            if not ids:
                break
            assert m.advance(rng.choice(ids))
