from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from api.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, build_parser, main
from tests.conftest import shared_path

CONSOLE_SCRIPT = Path(sys.executable).parent / "constrained"


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == EXIT_OK
    out = capsys.readouterr().out
    for name in ("serve", "compile", "fuzz", "bench"):
        assert name in out


def test_missing_subcommand_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == EXIT_USAGE


def test_fuzz_needs_a_constraint_source() -> None:  # fuzz is built (issue #7); its own tests are in fuzz/
    with pytest.raises(SystemExit) as exc:
        main(["fuzz", "-n", "1"])
    assert exc.value.code == EXIT_USAGE


@pytest.mark.slow  # loads a tiny model into the engine (~1 min on a busy 2-core machine)
def test_fuzz_model_mode_generates_under_the_constraint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.engine.tiny_model import write_tiny_chat_model

    model = write_tiny_chat_model(tmp_path)
    assert main(["fuzz", "--regex", "[ab]{2,4}", "-n", "3", "--seed", "1", "--model", str(model)]) == EXIT_OK
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 3
    assert all(r["valid"] is True and 2 <= len(r["text"]) <= 4 and set(r["text"]) <= {"a", "b"} for r in rows)


def test_bench_needs_a_benchmark_name() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["bench"])
    assert exc.value.code == EXIT_USAGE


def test_bench_jsonschema_unknown_split_is_a_clear_failure(capsys: pytest.CaptureFixture[str]) -> None:
    shared_path("corpora", "jsonschemabench")
    assert main(["bench", "jsonschema", "--split", "NoSuchSplit", "--vocab", "none", "--jobs", "1"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "NoSuchSplit" in err and "Github_easy" in err  # names the bad split and lists the real ones


def test_bench_jsonschema_runs_a_sample_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shared_path("corpora", "json-schema-test-suite")
    out = tmp_path / "report.json"
    code = main(["bench", "jsonschema", "--split", "JSTS-draft7", "--per-split", "4", "--vocab", "none",
                 "--jobs", "1", "--json", str(out)])
    report = json.loads(out.read_text())
    split = report["splits"]["JSTS-draft7"]
    assert code == (EXIT_FAILED if split["invalid_accepted"] else EXIT_OK)
    assert split["schemas"] == 4 and split["compiled"] + split["refused"] == 4
    assert split["token_walks"] is False  # --vocab none: byte-level checks only
    assert "| JSTS-draft7 | 4 |" in capsys.readouterr().out


def test_compile_needs_exactly_one_source() -> None:
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["compile", "--regex", "a", "--choice", "b"])


def test_console_script_is_installed() -> None:
    proc = subprocess.run([str(CONSOLE_SCRIPT), "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "serve" in proc.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_health_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    from tests.engine.tiny_model import write_tiny_chat_model

    model = write_tiny_chat_model(tmp_path)  # an existing path is served as-is: no download in tests
    port = _free_port()
    proc = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "serve", "--model", str(model), "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as resp:
                    assert resp.status == 200 and b'"ok"' in resp.read()
                    break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
