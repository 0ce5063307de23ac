"""Ratchet on the JSON Schema scoreboard: no split may get worse than ``bench/baselines/jsonschema_scoreboard.json``.

The default tests run the ``ratchet`` profile: per split, the 2 quick schemas pinned in the baseline (picked from a
seeded sample of small schemas when the baseline was generated). Byte-level checks always run; token-by-token walks
with the SmolLM2 vocabulary run when its GGUF is cached. Worse means fewer schemas fully right, more refused
(timeouts and crashes included), or any invalid instance accepted. The slow test runs the ``full`` profile against
its own baseline section.

When results improve (or after a deliberate change of policy), regenerate the baseline from the current tree and
commit it with the change:

    .venv/bin/python -m bench.jsonschema_scoreboard --profile ratchet --update-baseline
    .venv/bin/python -m bench.jsonschema_scoreboard --profile full --update-baseline   # slow: every schema
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

import pytest

from bench.jsonschema_report import improvements, regressions
from bench.jsonschema_scoreboard import BASELINE, PROFILES, run
from bench.vocabularies import smollm2_cached
from tests.conftest import shared_path

UPDATE = "if intended, regenerate: python -m bench.jsonschema_scoreboard --profile {} --update-baseline"


def _baseline(profile: str) -> dict[str, Any]:
    data = json.loads(BASELINE.read_text())
    if profile not in data:
        pytest.skip(f"no '{profile}' section in {BASELINE}")
    return dict(data[profile])


def _run(profile: str, vocab: str | None) -> dict[str, Any]:
    shared_path("corpora", "jsonschemabench")
    shared_path("corpora", "json-schema-test-suite")
    base = _baseline(profile)
    prof = PROFILES[profile]
    stored = {k: base["config"].get(k) for k in dataclasses.asdict(prof)}
    assert stored == dataclasses.asdict(prof), f"profile '{profile}' changed since the baseline: regenerate it"
    pinned = base["config"].get("case_ids")
    return run(base["config"]["splits"], prof, vocab, jobs=min(2, os.cpu_count() or 1), case_ids=pinned)


@pytest.fixture(scope="module")
def ratchet_report() -> dict[str, Any]:
    return _run("ratchet", "smollm2" if smollm2_cached() else None)


def _check(profile: str, report: dict[str, Any], tokens: bool, capsys: pytest.CaptureFixture[str]) -> None:
    base = _baseline(profile)["splits"]
    problems = regressions(base, report["splits"], tokens=tokens)
    better = improvements(base, report["splits"])
    with capsys.disabled():
        if better:
            print(f"\n[scoreboard {profile}] better than the baseline: " + "; ".join(better))
            print("  " + UPDATE.format(profile))
    detail = "\n".join(problems + report["failures"][:20])
    assert not problems, f"scoreboard '{profile}' got worse than the baseline:\n{detail}\n{UPDATE.format(profile)}"


def test_ratchet_byte_level(ratchet_report: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert ratchet_report["splits"]["overall"]["schemas"] >= 20  # the pinned sample really ran
    _check("ratchet", ratchet_report, tokens=False, capsys=capsys)


def test_ratchet_token_walks(ratchet_report: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    if ratchet_report["config"]["vocab"] is None:
        pytest.skip("SmolLM2 GGUF not cached (~/.cache/constrained/models): token walks skipped, byte-level "
                    "ratchet still ran; fetch it once with `python -c \"import engine.model_registry as m; "
                    "m.resolve_model('smollm2')\"`")
    assert ratchet_report["splits"]["overall"]["masks"] > 100  # walks really happened
    _check("ratchet", ratchet_report, tokens=True, capsys=capsys)


@pytest.mark.slow
def test_full_scoreboard_ratchet(capsys: pytest.CaptureFixture[str]) -> None:
    vocab = "smollm2" if smollm2_cached() else None
    report = _run("full", vocab)
    _check("full", report, tokens=vocab is not None, capsys=capsys)
