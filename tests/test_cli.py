from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from api.cli import EXIT_NOT_BUILT, EXIT_OK, EXIT_USAGE, build_parser, main

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


@pytest.mark.parametrize("command", ["fuzz", "bench"])
def test_unbuilt_subcommands_say_so(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command]) == EXIT_NOT_BUILT
    assert "not built yet" in capsys.readouterr().err


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
    model = tmp_path / "model.gguf"  # an existing path is served as-is: no download in tests
    model.write_bytes(b"GGUF")
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
