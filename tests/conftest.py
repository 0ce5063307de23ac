"""Shared fixtures: repository paths and the ``../shared`` corpora (absent in a user's clone: tests skip)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ``../shared``, or skip the test naming what is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path} (the team's shared corpora, beside the checkout); not present in this clone")
    return path
