"""SequenceOutputProcessor: finish rules, stop strings over token boundaries, held text, deltas, logprobs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer

from constrained import Vocabulary
from engine.output_processor import SequenceOutputProcessor
from engine.outputs import CompletionOutput, TokenLogprob
from engine.sampling_params import SamplingParams
from tests.constrained.helpers import WORDS as BPE_WORDS
from tests.constrained.helpers import train_bpe

# A tiny byte-level vocabulary: ids 0..255 are single bytes, then a few multi-byte tokens and specials.
WORDS = [b"Hello", b" wor", b"ld", b"\xc3", b"\xa9", b"\xe2\x82\xac", b"STOP", b"ST", b"OP"]
TOKEN_BYTES: list[bytes | None] = [bytes([i]) for i in range(256)] + WORDS + [b"<|eos|>", b"<|tool|>"]
TOK = {w: 256 + i for i, w in enumerate(WORDS)}
EOS = 256 + len(WORDS)
TOOL = EOS + 1
SPECIAL = {EOS: "<|eos|>", TOOL: "<|tool|>"}


def processor(**kwargs: object) -> SequenceOutputProcessor:
    params = SamplingParams(**kwargs)  # type: ignore[arg-type]
    return SequenceOutputProcessor(0, params, TOKEN_BYTES, SPECIAL, [EOS])


def ids(text: str) -> list[int]:
    return list(text.encode())


def feed(proc: SequenceOutputProcessor, tokens: list[int]) -> list[CompletionOutput]:
    """Append tokens until finished, taking an output after each one (as a streaming engine does)."""
    outputs = []
    for t in tokens:
        if proc.finished:
            break
        proc.append(t)
        outputs.append(proc.output())
    return outputs


def check_deltas(outputs: list[CompletionOutput]) -> None:
    assert "".join(o.delta_text for o in outputs) == outputs[-1].text
    assert [t for o in outputs for t in o.delta_token_ids] == outputs[-1].token_ids
    for before, after in zip(outputs, outputs[1:], strict=False):
        assert after.text.startswith(before.text)


@pytest.mark.parametrize(
    ("kwargs", "tokens", "text", "n_tokens", "finish", "stop_reason"),
    [
        ({}, [TOK[b"Hello"], TOK[b" wor"], TOK[b"ld"], EOS, 65], "Hello world", 4, "stop", None),
        (
            {"ignore_eos": True, "skip_special_tokens": False, "max_tokens": 3},
            [65, EOS, 66],
            "A<|eos|>B",
            3,
            "length",
            None,
        ),
        ({"max_tokens": 2}, [65, 66, 67], "AB", 2, "length", None),
        ({"stop_token_ids": [TOOL]}, [65, TOOL, 66], "A", 2, "stop", TOOL),
        ({"stop_token_ids": [TOOL], "skip_special_tokens": False}, [65, TOOL], "A", 2, "stop", TOOL),
        ({"stop": ["world"]}, [TOK[b"Hello"], TOK[b" wor"], TOK[b"ld"], 33], "Hello ", 3, "stop", "world"),
        (
            {"stop": ["world"], "include_stop_str_in_output": True},
            [TOK[b" wor"], TOK[b"ld"]],
            " world",
            2,
            "stop",
            "world",
        ),
        ({"stop": ["STOP"]}, [65, TOK[b"ST"], TOK[b"OP"], 66], "A", 3, "stop", "STOP"),
        ({"stop": ["STOP"], "max_tokens": 3}, [65, TOK[b"ST"], 66], "ASTB", 3, "length", None),  # partial stop released
        ({"stop": ["é"]}, [65, TOK[b"\xc3"], TOK[b"\xa9"], 66], "A", 3, "stop", "é"),  # stop inside one character
        ({"stop": ["B"], "min_tokens": 3}, [65, 66, 67, 66, 68], "ABC", 4, "stop", "B"),
        ({"stop": ["B"], "min_tokens": 2}, [65, 66, 67], "A", 2, "stop", "B"),  # a stop on the min_tokens-th token
        ({}, [TOK[b"\xc3"], EOS], "\ufffd", 2, "stop", None),  # incomplete character flushed at the end
        ({"max_tokens": 3}, [65, TOOL, 66], "AB", 3, "length", None),  # special text skipped by default
        ({"skip_special_tokens": False, "max_tokens": 3}, [65, TOOL, 66], "A<|tool|>B", 3, "length", None),
        ({}, [TOK[b"\xe2\x82\xac"], EOS], "€", 2, "stop", None),
    ],
)
def test_finish_table(
    kwargs: dict[str, object], tokens: list[int], text: str, n_tokens: int, finish: str, stop_reason: object
) -> None:
    kwargs.setdefault("max_tokens", 10)
    proc = processor(**kwargs)
    outputs = feed(proc, tokens)
    final = outputs[-1]
    assert (final.text, len(final.token_ids), final.finish_reason, final.stop_reason) == (
        text,
        n_tokens,
        finish,
        stop_reason,
    )
    assert proc.finished and final.finished
    check_deltas(outputs)


def test_held_text_is_not_emitted_until_decided() -> None:
    proc = processor(stop=["STOP"], max_tokens=10)
    proc.append(65)
    assert proc.output().delta_text == "A"
    proc.append(TOK[b"ST"])
    held = proc.output()
    assert held.delta_text == "" and held.text == "A" and held.delta_token_ids == [TOK[b"ST"]]
    proc.append(66)
    assert proc.output().delta_text == "STB"


def test_abort_flushes_held_text_and_later_appends_fail() -> None:
    proc = processor(stop=["STOP"], max_tokens=10)
    feed(proc, [65, TOK[b"ST"]])
    proc.finish("abort")
    out = proc.output()
    assert (out.text, out.delta_text, out.finish_reason, out.stop_reason) == ("AST", "ST", "abort", None)
    proc.finish("length")  # no effect once finished
    assert proc.output().finish_reason == "abort"
    with pytest.raises(RuntimeError, match="already finished"):
        proc.append(65)


def test_engine_length_finish() -> None:
    proc = processor(max_tokens=None)
    feed(proc, [65, 66])
    proc.finish("length")
    out = proc.output()
    assert (out.text, out.delta_text, out.finish_reason) == ("AB", "", "length")


def test_logprobs_cumulative_and_deltas() -> None:
    proc = processor(logprobs=1, max_tokens=3)
    entries = [TokenLogprob(t, -0.5 * i, [(t, -0.5 * i)]) for i, t in enumerate([65, 66, 67])]
    proc.append(65, entries[0])
    first = proc.output()
    proc.append(66, entries[1])
    proc.append(67, entries[2])
    second = proc.output()
    assert first.logprobs == entries[:1] and first.delta_logprobs == entries[:1]
    assert second.logprobs == entries and second.delta_logprobs == entries[1:]
    assert second.delta_token_ids == [66, 67]
    assert processor().output().logprobs is None


def test_token_ids_view_tracks_appends() -> None:
    proc = processor(max_tokens=5)
    view = proc.token_ids
    proc.append(65)
    proc.append(66)
    assert list(view) == [65, 66]


def reference(text: str, stops: list[str]) -> tuple[str, str | None]:
    for end in range(1, len(text) + 1):
        matches = [s for s in stops if text[:end].endswith(s)]
        if matches:
            stop = max(matches, key=len)
            return text[: end - len(stop)], stop
    return text, None


@settings(max_examples=150, deadline=None)
@given(
    st.data(),
    st.text(st.sampled_from("ab€é\n"), max_size=20),
    st.lists(st.text(st.sampled_from("ab€é\n"), min_size=1, max_size=3), max_size=2),
)
def test_random_byte_splits_match_reference(data: st.DataObject, text: str, stops: list[str]) -> None:
    raw = text.encode()
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(raw) - 1)), max_size=len(raw))))
    bounds = [0, *[c for c in cuts if c < len(raw)], len(raw)]
    pieces = [raw[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    vocab: list[bytes | None] = [*pieces, None]
    eos = len(pieces)
    proc = SequenceOutputProcessor(0, SamplingParams(stop=stops, max_tokens=None), vocab, {}, [eos])
    outputs = feed(proc, [*range(len(pieces)), eos])
    expected_text, expected_stop = reference(text, stops)
    final = outputs[-1]
    assert (final.text, final.stop_reason, final.finish_reason) == (expected_text, expected_stop, "stop")
    check_deltas(outputs)
    assert all("\ufffd" not in o.delta_text for o in outputs)


@pytest.fixture(scope="module")
def bpe() -> tuple[Tokenizer, Vocabulary]:
    tokenizer = train_bpe()
    return tokenizer, Vocabulary.from_tokenizer(tokenizer)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([*BPE_WORDS, " ", "é", "€", "😀", "日本", "\n"]), max_size=12),
    st.sampled_from([[], ["fox"], ["😀"], ["o w"]]),
)
def test_trained_bpe_tokens_reproduce_the_text(bpe: tuple[Tokenizer, Vocabulary], words: list[str], stops: list[str]):
    tokenizer, vocab = bpe
    text = "".join(words)
    token_ids = tokenizer.encode(text).ids
    eos = tokenizer.token_to_id("<|endoftext|>")
    specials = {i: (vocab.token_bytes[i] or b"").decode() for i in vocab.special_token_ids}
    proc = SequenceOutputProcessor(0, SamplingParams(stop=stops, max_tokens=None), vocab.token_bytes, specials, [eos])
    outputs = feed(proc, [*token_ids, eos])
    expected_text, expected_stop = reference(text, stops)
    assert (outputs[-1].text, outputs[-1].stop_reason) == (expected_text, expected_stop)
    check_deltas(outputs)
    assert all("\ufffd" not in o.delta_text for o in outputs)


def test_forced_tokens_without_logprob_keep_lists_aligned() -> None:
    proc = processor(logprobs=2, max_tokens=3)
    sampled = TokenLogprob(65, -1.5, [(66, -0.5), (65, -1.5)])
    proc.append(65, sampled)
    proc.append(66)  # forced by the constraint: no sampler entry
    out = proc.output()
    assert out.logprobs == [sampled, TokenLogprob(66, 0.0, [(66, 0.0)])]
    assert len(out.logprobs) == len(out.token_ids)
