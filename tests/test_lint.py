"""ruff and mypy are part of the test run, so `make test` (and CI) fails on a lint or type error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True)


def test_ruff_is_clean() -> None:
    proc = _run(str(BIN / "ruff"), "check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_is_clean() -> None:
    proc = _run(str(BIN / "mypy"))  # packages and options come from [tool.mypy] in pyproject.toml
    assert proc.returncode == 0, proc.stdout + proc.stderr
