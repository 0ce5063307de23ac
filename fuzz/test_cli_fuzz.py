"""``constrained fuzz``: JSONL stream, negatives, summary, reproducibility, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from api.cli import EXIT_FAILED, EXIT_OK, main

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}, "s": {"enum": ["a", "b"]}},
          "required": ["n", "s"], "additionalProperties": False}


def _lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_regex_samples_stream_as_jsonl_with_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fuzz", "--regex", r"[a-c]{2}\d", "-n", "25", "--seed", "4", "--coverage"]) == EXIT_OK
    captured = capsys.readouterr()
    rows = _lines(captured.out)
    assert len(rows) == 25 and all(r["valid"] is True for r in rows)
    assert all(len(str(r["text"])) == 3 for r in rows)
    summary = json.loads(captured.err.split("[fuzz] ", 1)[1].splitlines()[0])
    assert summary["count"] == 25 and summary["unique"] == len({r["text"] for r in rows})
    assert summary["coverage"]["unit"] == "dfa transitions" and summary["coverage"]["ratio"] == 1.0
    assert "samples_per_s" in summary and "seconds" in summary


def test_same_seed_gives_byte_identical_output_and_another_seed_differs(tmp_path: Path) -> None:
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps(SCHEMA))
    outs = []
    for i, seed in enumerate(["7", "7", "8"]):
        out = tmp_path / f"out{i}.jsonl"
        assert main(["fuzz", "--schema", str(schema), "-n", "40", "--seed", seed, "-o", str(out)]) == EXIT_OK
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and outs[0] != outs[2]
    assert len(outs[0].splitlines()) == 40


def test_negatives_say_which_mutation_made_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps(SCHEMA))
    assert main(["fuzz", "--schema", str(schema), "-n", "30", "--negative", "--seed", "1"]) == EXIT_OK
    rows = _lines(capsys.readouterr().out)
    assert len(rows) == 30
    assert all(r["valid"] is False and r["mutation"] and r["detail"] for r in rows)


def test_grammar_file_and_choice_and_unique(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    grammar = tmp_path / "g.lark"
    grammar.write_text('start: "x" start | "y"\n')
    assert main(["fuzz", "--grammar", str(grammar), "-n", "10", "--max-length", "5"]) == EXIT_OK
    rows = _lines(capsys.readouterr().out)
    assert all(str(r["text"]).endswith("y") and len(str(r["text"])) <= 5 for r in rows)
    assert main(["fuzz", "--choice", "red", "green", "-n", "10", "--unique"]) == EXIT_OK
    captured = capsys.readouterr()
    assert sorted(str(r["text"]) for r in _lines(captured.out)) == ["green", "red"]
    assert "only 2 of 10" in captured.err


def test_progress_bar_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fuzz", "--regex", "[ab]{1,4}", "-n", "200", "--progress"]) == EXIT_OK
    err = capsys.readouterr().err
    assert "200/200" in err and "[#" in err


def test_bad_input_is_a_clear_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fuzz", "--regex", "(a", "-n", "1"]) == EXIT_FAILED
    assert "refused" in capsys.readouterr().err
    assert main(["fuzz", "--regex", "a{10}", "-n", "1", "--max-length", "3"]) == EXIT_FAILED
    assert "shortest" in capsys.readouterr().err
    assert main(["fuzz", "--schema", str(tmp_path / "missing.json"), "-n", "1"]) == EXIT_FAILED


def test_model_guided_samples_with_a_tiny_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.engine.tiny_model import write_tiny_chat_model

    model = write_tiny_chat_model(tmp_path)
    args = ["fuzz", "--model", str(model), "--regex", "(hello|12)[a-c]{2}", "-n", "3", "--seed", "5"]
    assert main(args) == EXIT_OK
    captured = capsys.readouterr()
    rows = _lines(captured.out)
    assert len(rows) == 3 and all(r["valid"] is True for r in rows)
    assert all(re.fullmatch("(hello|12)[a-c]{2}", str(r["text"])) for r in rows)
    assert json.loads(captured.err.split("[fuzz] ", 1)[1].splitlines()[0])["count"] == 3


@pytest.mark.slow
def test_model_guided_samples_with_smollm2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema

    from tests.engine.gguf_fixtures import smollm2_gguf

    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(SCHEMA))
    args = ["fuzz", "--model", str(smollm2_gguf()), "--schema", str(schema_file), "-n", "4", "--seed", "1",
            "--max-length", "64"]
    assert main(args) == EXIT_OK
    rows = _lines(capsys.readouterr().out)
    assert len(rows) == 4
    for row in rows:
        assert row["valid"] is True, row  # 64 tokens are plenty for this schema: nothing is cut short
        jsonschema.validate(json.loads(str(row["text"])), SCHEMA)
