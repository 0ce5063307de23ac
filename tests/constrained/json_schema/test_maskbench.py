"""A seeded MaskBench sample: every instance the Python validator calls invalid must be rejected."""

from __future__ import annotations

import random

import pytest
from json_schema_helpers import Counts, compact, corpus, run_cases, truth

from bench.jsonschema_corpora import load_split

SPLITS = ["Glaiveai2K", "Github_easy", "Github_medium", "Kubernetes", "Snowplow", "JsonSchemaStore", "WashingtonPost"]


def _sample(split: str, n: int, seed: int = 7) -> list:
    corpus("jsonschemabench", "data", f"{split}.jsonl.gz")  # skips when the shared corpora are absent
    rows = [c for c in load_split(split) if c.instances]
    random.Random(seed).shuffle(rows)
    cases = []
    for row in rows[:n]:
        instances = []
        for data, valid in row.instances:
            try:
                judged = truth(row.schema, data)
            except Exception:  # the Python validator cannot judge it (e.g. bad regex): skip
                continue
            if judged == valid:  # skip labels the Python validator disagrees with
                instances.append((data, judged))
        cases.append((row.schema, instances))
    return cases


@pytest.mark.parametrize("split", SPLITS[:3])
def test_maskbench_sample(split, capsys):
    counts = Counts()
    run_cases(_sample(split, 8), counts, compact, "compact")
    with capsys.disabled():
        print(f"\n[{split}] {counts.__dict__ | {'false_positives': len(counts.false_positives)}}")
    assert counts.false_positives == []
    assert counts.compiled + counts.refused == 8


@pytest.mark.slow
@pytest.mark.parametrize("split", SPLITS)
def test_maskbench_sample_large(split, capsys):
    counts = Counts()
    run_cases(_sample(split, 30), counts, compact, "compact")
    with capsys.disabled():
        print(f"\n[{split}] {counts.__dict__ | {'false_positives': len(counts.false_positives)}}")
    assert counts.false_positives == []
