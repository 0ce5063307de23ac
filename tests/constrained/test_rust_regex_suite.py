"""rust-lang/regex's TOML suite (team corpus in ../shared) turned into full-match tests for our regex path.

A test whose expected matches include the whole haystack is a positive full-match case; negatives come from
Python's ``re.fullmatch`` where Python agrees with the test's expected match spans. Patterns we refuse
(``UnsupportedFeature``/``BudgetExceeded``) are fine; a wrong answer is not.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pytest

import constrained

SUITE = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "rust-regex-testdata" / "testdata"
SKIP_KEYS = ("case-insensitive", "line-terminator", "unescape", "bounds", "search-kind", "compiles")
# Rust's \d \w \s (and \b) are Unicode-aware; ours follow ECMA-262 (ASCII \d \w): compare only on ASCII text.
PERL_CLASS = re.compile(r"\\[dDwWsS]")


def _cases() -> list[dict[str, Any]]:
    if not SUITE.exists():
        return []
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    out = []
    for path in sorted(SUITE.rglob("*.toml")):
        for test in tomllib.loads(path.read_text(encoding="utf-8")).get("test", []):
            if not isinstance(test.get("regex"), str) or any(k in test for k in SKIP_KEYS):
                continue
            if test.get("unicode") is False or test.get("utf8") is False or test.get("match-kind") == "all":
                continue
            if PERL_CLASS.search(test["regex"]) and not test["haystack"].isascii():
                continue
            test["file"] = path.name
            out.append(test)
    return out


def _python_spans(pattern: str, haystack: str) -> list[list[int]] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rx = re.compile(pattern)
    except (re.error, OverflowError):
        return None
    spans = []
    for m in rx.finditer(haystack):
        spans.append([len(haystack[: m.start()].encode()), len(haystack[: m.end()].encode())])
    return spans


def _expected_spans(test: dict[str, Any]) -> list[list[int]]:
    spans = []
    for m in test["matches"]:
        span = m["span"] if isinstance(m, dict) else m
        spans.append(list(span))
    return spans


def test_suite_full_match_agreement() -> None:
    if not SUITE.exists():
        pytest.skip(f"needs {SUITE} (the team's shared corpora beside the checkout); not present in this clone")
    cases = _cases()
    assert len(cases) > 300
    checked = refused = 0
    wrong: list[str] = []
    for test in cases:
        pattern, haystack = test["regex"], test["haystack"]
        try:
            c = constrained.compile_regex(pattern, None, max_seconds=2.0)
        except (constrained.UnsupportedFeature, constrained.BudgetExceeded):
            refused += 1
            continue
        except constrained.InvalidConstraint:
            refused += 1  # Rust-only syntax; Python/ECMA reject it too in the cases we saw
            continue
        got = c.accepts(haystack)
        expected = _expected_spans(test)
        whole = [0, len(haystack.encode())]
        if whole in expected and not test.get("anchored"):
            checked += 1
            if not got:
                wrong.append(f"{test['file']}:{test['name']}: {pattern!r} should accept {haystack!r}")
            continue
        py = _python_spans(pattern, haystack)
        if py is not None and py[: len(expected)] == expected and "match-limit" not in test:
            checked += 1
            if got != (re.fullmatch(pattern, haystack) is not None):
                wrong.append(f"{test['file']}:{test['name']}: {pattern!r} on {haystack!r}: got {got}")
    assert not wrong, "\n".join(wrong[:20])
    assert checked > 120 and refused < len(cases) // 2, (checked, refused)
