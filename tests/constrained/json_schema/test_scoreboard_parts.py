"""The scoreboard's parts on toy inputs: per-schema checking, refusal reasons, the ratchet diff, vocab fetching."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

import constrained
from bench.jsonschema_check import SchemaResult, check_case, refusal_reason
from bench.jsonschema_corpora import SchemaCase, sample
from bench.jsonschema_report import regressions, split_summary
from bench.jsonschema_scoreboard import PIN_FAST_SECONDS, Profile, pin_quick, run
from bench.vocabularies import LLAMA3_MEMBER, fetch_llama3_vocab
from tests.conftest import shared_path

EOS = 256
BYTE_VOCAB = constrained.Vocabulary.from_token_bytes([bytes([b]) for b in range(256)] + [b""], eos_token_ids=[EOS])


def byte_tokens(text: str) -> list[int]:
    return list(text.encode("utf-8"))


def case(instances: list[tuple[object, bool]], authoritative: bool = True, schema: object = None) -> SchemaCase:
    schema = schema if schema is not None else {"type": "integer", "minimum": 0}
    return SchemaCase("toy", "c1", schema, tuple(instances), authoritative)


def test_right_labels_make_a_fully_right_schema_with_token_walks() -> None:
    r = check_case(case([(5, True), (-1, False), ("x", False)]), BYTE_VOCAB, byte_tokens, 600)
    assert (r.status, r.valid_accepted, r.invalid_rejected, r.invalid_accepted) == ("compiled", 1, 2, 0)
    assert r.fully_right and r.walked
    assert len(r.mask_seconds) == 2 + 2  # compact "5" and pretty "5": one mask per token plus one for EOS


@pytest.mark.parametrize(
    "instances,field",
    [([(5, False)], "invalid_accepted"), ([(-1, True)], "valid_rejected")],
)
def test_wrong_verdicts_on_authoritative_labels_are_counted(instances: list, field: str) -> None:
    r = check_case(case(instances), None, None, 600)
    assert getattr(r, field) == 1 and not r.fully_right
    assert r.examples  # the failing text is kept for the report


def test_pretty_text_indented_past_the_whitespace_bound_is_not_a_walk_failure() -> None:
    deep: object = 1
    for _ in range(12):  # indent=2 at depth 12 needs 24 spaces; the flexible policy admits 20
        deep = [deep]
    r = check_case(case([(deep, True)], schema={}), BYTE_VOCAB, byte_tokens, 600)
    assert (r.valid_accepted, r.walk_failed, r.valid_rejected) == (1, 0, 0) and r.fully_right
    assert len(r.mask_seconds) == 25 + 1  # only the compact text was walked


def test_label_the_python_validator_disputes_is_not_an_error() -> None:
    r = check_case(case([(5, False)], authoritative=False), None, None, 600)
    assert (r.disputed, r.invalid_accepted) == (1, 0) and r.fully_right


def test_a_token_the_mask_forbids_fails_the_walk_even_when_bytes_accept() -> None:
    def wrong_encoder(text: str) -> list[int]:
        return [ord("x")]  # never allowed by an integer schema

    r = check_case(case([(5, True)]), BYTE_VOCAB, wrong_encoder, 600)
    assert (r.valid_accepted_bytes, r.walk_failed, r.valid_rejected) == (1, 1, 1)
    assert r.fully_right_bytes and not r.fully_right


def test_timeouts_and_refusals_are_recorded_not_raised() -> None:
    big = {"type": "object", "properties": {f"p{i}": {"type": "string", "maxLength": 40} for i in range(40)}}
    timed = check_case(case([], schema=big), None, None, 0.001)
    assert (timed.status, timed.reason) == ("timeout", "timeout:0.001s")
    refused = check_case(case([], schema={"type": "no-such-type"}), None, None, 600)
    assert refused.status == "refused" and refused.reason.startswith("InvalidConstraint")


@pytest.mark.parametrize(
    "exc,reason",
    [
        (constrained.UnsupportedFeature("oneOf", "/properties/a"), "UnsupportedFeature:oneOf"),
        (constrained.BudgetExceeded("max_states", "too big"), "BudgetExceeded:max_states"),
        (constrained.InvalidConstraint("bad"), "InvalidConstraint"),
    ],
)
def test_refusal_reason_names_class_and_keyword(exc: constrained.ConstraintError, reason: str) -> None:
    assert refusal_reason(exc) == reason


def _summary(**changes: int) -> dict:
    base = {"schemas": 10, "refused": 2, "invalid_accepted": 0, "crashed": 0, "timed_out": 0, "walk_failed": 0,
            "fully_right_bytes": 8, "fully_right": 7}
    return base | changes


@pytest.mark.parametrize(
    "current,tokens,expected",
    [
        (_summary(), True, []),
        (_summary(fully_right=9, fully_right_bytes=9, refused=1), True, []),
        (_summary(refused=3), False, ["S: refused 2 -> 3 (higher is worse)"]),
        (_summary(fully_right_bytes=7), False, ["S: fully_right_bytes 8 -> 7 (lower is worse)"]),
        (_summary(fully_right=6), False, []),  # token numbers ignored when no walks were done
        (_summary(fully_right=6), True, ["S: fully_right 7 -> 6 (lower is worse)"]),
        (_summary(invalid_accepted=1), False, ["S: invalid_accepted 0 -> 1 (higher is worse)"]),
        (_summary(schemas=11), False, ["S: sample changed (10 -> 11 schemas); regenerate"]),
    ],
)
def test_regressions_table(current: dict, tokens: bool, expected: list[str]) -> None:
    assert regressions({"S": _summary()}, {"S": current}, tokens) == expected


def test_invalid_accepted_is_a_regression_even_against_a_bad_baseline() -> None:
    problems = regressions({"S": _summary(invalid_accepted=2)}, {"S": _summary(invalid_accepted=2)}, False)
    assert problems == ["S: 2 invalid instances accepted (must be 0)"]


def test_summary_counts_and_percentiles() -> None:
    rs = [check_case(case([(5, True), (-1, False)]), BYTE_VOCAB, byte_tokens, 600),
          check_case(case([], schema={"type": "no-such-type"}), None, None, 600)]
    s = split_summary(rs)
    assert (s["schemas"], s["compiled"], s["refused"], s["fully_right"], s["valid_accepted"]) == (2, 1, 1, 1, 1)
    assert s["mask_ms"]["p50"] is not None and s["mask_ms"]["p50"] <= s["mask_ms"]["max"]


def test_sample_is_seeded_and_keeps_corpus_order() -> None:
    cases = [SchemaCase("toy", str(i), {}, (), True) for i in range(20)]
    a, b = sample(cases, 5, seed=1), sample(cases, 5, seed=1)
    assert [c.case_id for c in a] == [c.case_id for c in b]
    assert [int(c.case_id) for c in a] == sorted(int(c.case_id) for c in a)
    assert sample(cases, None, 1) == cases


def _fake_sdist(with_member: bool):
    def download(requirement: str, dest: Path) -> Path:
        assert requirement.startswith("llama-cpp-python==")
        archive = dest / "llama_cpp_python-0.0.0.tar.gz"
        with tarfile.open(archive, "w:gz") as tf:
            name = LLAMA3_MEMBER if with_member else "README.md"
            info = tarfile.TarInfo(f"llama_cpp_python-0.0.0/{name}")
            info.size = 4
            tf.addfile(info, io.BytesIO(b"GGUF"))
        calls.append(requirement)
        return archive

    calls: list[str] = []
    return download, calls


def test_llama3_vocab_is_fetched_once_and_cached(tmp_path: Path) -> None:
    download, calls = _fake_sdist(with_member=True)
    path = fetch_llama3_vocab(tmp_path, download)
    assert path.read_bytes() == b"GGUF" and path.parent == tmp_path / "vocab"
    assert fetch_llama3_vocab(tmp_path, download) == path and len(calls) == 1


def test_llama3_fetch_without_the_file_fails_clearly_and_leaves_no_partial(tmp_path: Path) -> None:
    download, _ = _fake_sdist(with_member=False)
    with pytest.raises(RuntimeError, match="ggml-vocab-llama-bpe.gguf"):
        fetch_llama3_vocab(tmp_path, download)
    assert list((tmp_path / "vocab").iterdir()) == []


def test_process_pool_gives_the_same_results_as_in_process() -> None:
    shared_path("corpora", "json-schema-test-suite")
    profile = Profile(per_split=4, seed=3)
    one = run(["JSTS-draft7"], profile, vocab_name=None, jobs=1)
    two = run(["JSTS-draft7"], profile, vocab_name=None, jobs=2)
    drop = ("compile_ms", "mask_ms")
    assert {k: v for k, v in one["splits"]["overall"].items() if k not in drop} == {
        k: v for k, v in two["splits"]["overall"].items() if k not in drop
    }


def test_pin_quick_keeps_only_quick_untimed_results_per_split() -> None:
    def res(split: str, cid: str, elapsed: float, status: str = "compiled", reason: str = "") -> SchemaResult:
        return SchemaResult(split, cid, status=status, reason=reason, elapsed_seconds=elapsed)

    results = [
        res("A", "slow", PIN_FAST_SECONDS + 1), res("A", "a1", 0.1), res("A", "a2", 0.2), res("A", "a3", 0.3),
        res("B", "budget", 0.5, "refused", "BudgetExceeded:max_compile_seconds"), res("B", "t", 0.1, "timeout"),
        res("B", "b1", 0.4, "refused", "UnsupportedFeature:oneOf"),
    ]
    assert [r.case_id for r in pin_quick(results, ["A", "B"], 2)] == ["a1", "a2", "b1"]
