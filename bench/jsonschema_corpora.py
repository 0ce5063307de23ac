"""Reading the JSON Schema corpora in ``../shared/corpora``: MaskBench splits and the JSON-Schema-Test-Suite.

One ``SchemaCase`` per schema, whatever the source, so the scoreboard and the tests treat both the same way.
Only reading and sampling live here; checking is in ``bench/jsonschema_check.py``.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO / ".." / "shared" / "corpora"
MASKBENCH_DIR = CORPORA / "jsonschemabench" / "data"
TEST_SUITE_DIR = CORPORA / "json-schema-test-suite" / "tests"
REMOTES_URI = "http://localhost:1234/"  # where the suite's tests expect its remotes/ folder
TEST_SUITE_DRAFTS = ("draft2020-12", "draft7")
SUITE_PREFIX = "JSTS-"
DRAFT_URIS = {
    "draft2020-12": "https://json-schema.org/draft/2020-12/schema",
    "draft7": "http://json-schema.org/draft-07/schema#",
}


@dataclass(frozen=True)
class SchemaCase:
    """One schema and its labelled instances.

    Attributes:
        split: the split name (a MaskBench file stem, or ``JSTS-<draft>`` for the test suite).
        case_id: stable id inside the split (MaskBench id, or ``file.json#group`` for the test suite).
        schema: the parsed schema.
        instances: ``(data, valid)`` pairs; ``data`` is already-parsed JSON.
        labels_authoritative: False where labels were generated and may disagree with a validator (MaskBench).
        formats: ``compile_json_schema``'s ``formats`` for this case: the semantics its labels were written for.
        resources: other documents its ``$ref``s may name, by URI (the test suite's remotes), or None.
    """

    split: str
    case_id: str
    schema: Any
    instances: tuple[tuple[Any, bool], ...]
    labels_authoritative: bool
    formats: str = "assert"
    resources: dict[str, Any] | None = None


def maskbench_splits() -> list[str]:
    """Names of the MaskBench splits present on disk (sorted)."""
    return sorted(p.name.removesuffix(".jsonl.gz") for p in MASKBENCH_DIR.glob("*.jsonl.gz"))


def all_splits() -> list[str]:
    """Every split the scoreboard knows: MaskBench splits present, then the test-suite drafts present."""
    suites = [SUITE_PREFIX + d for d in TEST_SUITE_DRAFTS if (TEST_SUITE_DIR / d).is_dir()]
    return maskbench_splits() + suites


def maskbench_rows(split: str) -> Iterator[dict[str, Any]]:
    """Raw records of one MaskBench split: ``id``, ``schema`` (parsed), ``tests`` ([{data, valid, ...}])."""
    with gzip.open(MASKBENCH_DIR / f"{split}.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if isinstance(row["schema"], str):
                row["schema"] = json.loads(row["schema"])
            yield row


def test_suite_groups(draft: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(file#index, group)`` for each group of the required tests of one draft, in file order."""
    for path in sorted((TEST_SUITE_DIR / draft).glob("*.json")):
        for i, group in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            yield f"{path.name}#{i}", group


def test_suite_remotes(draft: str) -> dict[str, Any]:
    """The suite's remote documents (shared ones and those of ``draft``) by the URI its tests use.

    Other harnesses serve the ``remotes`` folder on a local server; here they are passed as ``resources``.
    """
    root = TEST_SUITE_DIR.parent / "remotes"
    out: dict[str, Any] = {}
    for path in sorted(root.rglob("*.json")):
        rel = path.relative_to(root).as_posix()
        top = rel.split("/", 1)[0]
        if top.startswith("draft") and top != draft:
            continue
        out[REMOTES_URI + rel] = json.loads(path.read_text(encoding="utf-8"))
    return out


def with_draft(schema: Any, draft: str) -> Any:
    """``schema`` with the ``$schema`` of its test-suite folder when it names none (the folder implies the draft)."""
    uri = DRAFT_URIS.get(draft)
    if uri is None or not isinstance(schema, dict) or "$schema" in schema:
        return schema
    return {"$schema": uri, **schema}


def load_split(split: str) -> list[SchemaCase]:
    """Every schema of ``split`` as ``SchemaCase``s, in corpus order."""
    if split.startswith(SUITE_PREFIX):
        draft = split.removeprefix(SUITE_PREFIX)
        # The required 2020-12 tests are written for its default vocabulary, where format is an annotation
        # ("invalid email string is only an annotation by default"); draft 7's test format on non-strings only.
        formats = "annotation" if draft == "draft2020-12" else "assert"
        remotes = test_suite_remotes(draft)
        return [
            SchemaCase(
                split, key, with_draft(g["schema"], draft), tuple((t["data"], bool(t["valid"])) for t in g["tests"]),
                True, formats, remotes,
            )
            for key, g in test_suite_groups(draft)
        ]
    return [
        SchemaCase(
            split, str(r.get("id", i)), r["schema"], tuple((t["data"], bool(t["valid"])) for t in r.get("tests") or ()),
            False,
        )
        for i, r in enumerate(maskbench_rows(split))
    ]


def sample(cases: list[SchemaCase], n: int | None, seed: int) -> list[SchemaCase]:
    """A seeded sample of ``n`` cases (all of them, in order, when ``n`` is None or not smaller)."""
    if n is None or n >= len(cases):
        return list(cases)
    picked = sorted(random.Random(seed).sample(range(len(cases)), n))
    return [cases[i] for i in picked]
