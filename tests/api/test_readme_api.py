"""The README's API section stays truthful: every route it lists exists, every route exists in it, its flags exist."""

from __future__ import annotations

import argparse
import re

from api.app import ServerSettings, create_app
from api.cli import build_parser
from tests.conftest import REPO_ROOT


def _api_section() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## The API", 1)[1].split("\n## ", 1)[0]


def test_readme_lists_exactly_the_served_routes() -> None:
    app = create_app(ServerSettings("m"))
    served = {route.path for route in app.routes if not route.path.startswith("/schema")}
    listed = set(re.findall(r"`(?:GET|POST) (/[a-z0-9/.]+)`", _api_section()))
    assert listed - {"/schema/openapi.json"} == served
    assert any(route.path.startswith("/schema") for route in app.routes)  # Litestar serves the OpenAPI document


def test_readme_flags_exist() -> None:
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    serve = commands.choices["serve"]
    flags = {option for action in serve._actions for option in action.option_strings}
    mentioned = set(re.findall(r"`(--[a-z-]+)", _api_section()))
    assert mentioned and mentioned <= flags, mentioned - flags
