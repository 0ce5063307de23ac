"""The official JSON-Schema-Test-Suite (draft2020-12, required tests): zero invalid instances accepted."""

from __future__ import annotations

import json

import pytest
from json_schema_helpers import Counts, compact, corpus, run_cases

from bench.jsonschema_corpora import SUITE_PREFIX, load_split


def _cases(every: int = 1, draft: str = "draft2020-12") -> list:
    corpus("json-schema-test-suite", "tests", draft)  # skips when the shared corpora are absent
    cases = [(c.schema, list(c.instances)) for c in load_split(SUITE_PREFIX + draft)]
    return cases[::every]


def _report(name: str, counts: Counts, capsys) -> None:
    with capsys.disabled():
        print(
            f"\n[{name}] compiled={counts.compiled} refused={counts.refused} dag_only={counts.dag_only} "
            f"valid_accepted={counts.valid_accepted} valid_rejected={counts.valid_rejected} "
            f"invalid_rejected={counts.invalid_rejected} invalid_accepted={len(counts.false_positives)}"
        )


def test_suite_sample_compact(capsys):
    counts = Counts()
    run_cases(_cases(every=4), counts, compact, "compact")
    _report("sample compact-utf8", counts, capsys)
    assert counts.false_positives == []
    assert counts.compiled > 30  # guards against a regression that refuses everything
    assert counts.valid_accepted > 60


@pytest.mark.slow
@pytest.mark.parametrize(
    "name,serialize,ws",
    [
        ("compact-utf8", lambda x: compact(x), "compact"),
        ("compact-ascii", lambda x: compact(x, True), "compact"),
        ("indented", lambda x: json.dumps(x, indent=2), "flexible"),
    ],
)
def test_suite_full(name, serialize, ws, capsys):
    counts = Counts()
    run_cases(_cases(), counts, serialize, ws)
    _report(name, counts, capsys)
    assert counts.false_positives == []
    assert counts.compiled > 150
    assert counts.valid_accepted > 300


@pytest.mark.slow
def test_suite_draft7_compact(capsys):
    counts = Counts()
    run_cases(_cases(draft="draft7"), counts, compact, "compact")
    _report("draft7 compact-utf8", counts, capsys)
    assert counts.false_positives == []
    assert counts.compiled > 100
