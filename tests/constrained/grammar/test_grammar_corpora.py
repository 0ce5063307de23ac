"""The shared grammar corpora: llama.cpp GBNF vectors, Lark samples, Outlines CFG samples, llguidance plain-Lark
cases, vLLM fixtures. Every compiled grammar must give zero wrong answers; refusals must name a feature."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from constrained.errors import ConstraintError, InvalidConstraint, UnsupportedFeature
from constrained.grammar import compile_grammar_constraint
from tests.conftest import shared_path


def _report(name: str, counts: Counter[str]) -> None:
    print(f"\n[{name}] " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))


def test_llama_cpp_gbnf_vectors() -> None:
    data = json.loads(
        shared_path("corpora", "llama-cpp-grammars", "tests", "grammar_integration_cases.json").read_text()
    )
    counts: Counter[str] = Counter()
    wrong = []
    for case in data["cases"]:
        if case["kind"] != "gbnf":
            continue  # JSON-Schema cases belong to the schema compiler
        g = compile_grammar_constraint(case["grammar"], "gbnf", None)
        for s in case["accept"]:
            ok = g.accepts(s)
            counts["accepted" if ok else "WRONG"] += 1
            if not ok:
                wrong.append((case["name"], s))
        for s in case["reject"]:
            bad = g.accepts(s)
            counts["WRONG" if bad else "rejected"] += 1
            if bad:
                wrong.append((case["name"], s))
    _report("llama.cpp gbnf cases", counts)
    assert wrong == []
    assert counts["accepted"] >= 40 and counts["rejected"] >= 40


def test_llama_cpp_invalid_grammars() -> None:
    data = json.loads(
        shared_path("corpora", "llama-cpp-grammars", "tests", "grammar_integration_cases.json").read_text()
    )
    for case in data["invalid_grammars"]:
        if "left recursion" in case["name"]:
            # We accept left recursion (Earley); the language must then be the obvious one.
            g = compile_grammar_constraint(case["grammar"], "gbnf", None)
            assert g.accepts("a")
            assert not g.accepts("") and not g.accepts("b")
            continue
        with pytest.raises(InvalidConstraint) as info:
            compile_grammar_constraint(case["grammar"], "gbnf", None)
        assert "line " in info.value.location


def test_left_recursion_languages() -> None:
    """The corpus' left-recursive grammars: a+, a+, and the two mutually recursive ones (checked by hand)."""
    data = json.loads(
        shared_path("corpora", "llama-cpp-grammars", "tests", "grammar_integration_cases.json").read_text()
    )
    cases = {c["name"]: c["grammar"] for c in data["invalid_grammars"]}
    hard = compile_grammar_constraint(cases["left recursion (hard)"], "gbnf", None)
    # asdf ::= "a" | foo "b";  foo ::= "c" | asdf "d" | "e"
    assert [s for s in ["a", "cb", "eb", "adb", "cbdb", "adbdb"] if not hard.accepts(s)] == []
    assert [s for s in ["", "b", "ad", "c", "ab", "adbd"] if hard.accepts(s)] == []
    nullable = compile_grammar_constraint(cases["left recursion through nullable rule"], "gbnf", None)
    assert [s for s in ["a", "adb", "blahadb", "cb"] if not nullable.accepts(s)] == []
    assert [s for s in ["blah", "blahb", "ad"] if nullable.accepts(s)] == []


GBNF_FILES = ["arithmetic", "c", "chess", "english", "japanese", "json", "json_arr", "list"]


@pytest.mark.parametrize("name", GBNF_FILES)
def test_llama_cpp_grammar_files_compile(name: str) -> None:
    text = shared_path("corpora", "llama-cpp-grammars", "grammars", f"{name}.gbnf").read_text()
    g = compile_grammar_constraint(text, "gbnf", None)
    samples = {
        "json": ['{"a": [1, 2.5e3, true, null, "x\\n"]}', "{}"],
        "json_arr": ['[\n{"a": 1},\n"b"]'],
        "arithmetic": ["1+2=3\n", "x=(1 +y)\n"],
        "list": ["- item\n- other\n"],
        "chess": ["1. e4 e5\n2. Nf3 Nc6\n"],
        "c": ["int main(){x = 1;}", "int f(int a){return a;}"],
    }.get(name, [])
    assert [s for s in samples if not g.accepts(s)] == []
    if name in ("json", "json_arr", "arithmetic"):
        assert not g.accepts("{{")


def test_lark_samples() -> None:
    base = shared_path("corpora", "lark-grammars")
    samples = json.loads((base / "samples.json").read_text())
    counts: Counter[str] = Counter()
    wrong = []
    for rel, spec in samples.items():
        path = base / rel
        try:
            g = compile_grammar_constraint(
                path.read_text(), "lark", None, start=spec["start"], base_dir=str(path.parent)
            )
        except UnsupportedFeature as e:
            counts["refused"] += 1
            print(f"  refused {rel}: {e}")
            assert e.keyword
            continue
        accept = spec.get("accept") or [(base / spec["accept_file"]).read_text()]
        for s in accept:
            ok = g.accepts(s)
            counts["accepted" if ok else "WRONG"] += 1
            if not ok:
                wrong.append(rel)
    _report("lark samples", counts)
    assert wrong == []
    assert counts["accepted"] >= 10 and counts["refused"] <= 2


def test_lark_composition_relative_imports() -> None:
    base = shared_path("corpora", "lark-grammars", "examples", "composition")
    g = compile_grammar_constraint((base / "storage.lark").read_text(), "lark", None, base_dir=str(base))
    assert g.accepts((base / "combined_csv_and_json.txt").read_text())


def test_python_lark_is_refused_by_name() -> None:
    text = shared_path("corpora", "lark-grammars", "lark", "grammars", "python.lark").read_text()
    with pytest.raises(UnsupportedFeature) as info:
        compile_grammar_constraint(text, "lark", None, start="file_input")
    assert info.value.keyword


@pytest.mark.parametrize("name", ["json", "arithmetic"])
def test_outlines_cfg_samples(name: str) -> None:
    base = shared_path("corpora", "outlines-grammars")
    g = compile_grammar_constraint((base / "src" / "outlines" / "grammars" / f"{name}.lark").read_text(), "lark", None)
    files = sorted((base / "tests" / "cfg_samples" / name).glob("*.test"))
    assert files
    for f in files:
        text = f.read_text()
        if name == "arithmetic":
            text = text.rstrip("\n")
        assert g.accepts(text), f.name
        assert not g.accepts(text + ("}" if name == "json" else "+")), f.name
    _report(f"outlines {name}", Counter(accepted=len(files)))


def test_llguidance_lark_cases() -> None:
    data = json.loads(shared_path("corpora", "llguidance-data", "tests", "lark_cases.json").read_text())
    counts: Counter[str] = Counter()
    wrong = []
    for case in data["cases"]:
        plain = case.get("reference_lark_1x_earley") == "agrees"
        try:
            g = compile_grammar_constraint(case["grammar"], "lark", None)
        except ConstraintError as e:
            counts[f"{case['kind']}:refused:{type(e).__name__}"] += 1
            assert not plain, (case["grammar"], e)  # plain Lark must compile
            if case["kind"] != "compile_error":
                # Valid llguidance grammars: the refusal must name the extension, not call the grammar invalid.
                assert isinstance(e, UnsupportedFeature) and "llguidance" in e.keyword, (case["grammar"], e)
            continue
        if case["kind"] == "compile_error":
            counts["compile_error:compiled"] += 1  # llguidance-specific checks; recorded, not asserted
            continue
        if case["kind"] != "match":
            counts[f"{case['kind']}:compiled"] += 1
            continue
        for s in case["accept"]:
            ok = g.accepts(s)
            counts["accepted" if ok else "WRONG"] += 1
            if not ok:
                wrong.append((case["grammar"], s))
        for s in case["reject"] + case.get("reject_complete_only", []):
            bad = g.accepts(s)
            counts["WRONG" if bad else "rejected"] += 1
            if bad:
                wrong.append((case["grammar"], s))
    _report("llguidance lark cases", counts)
    assert wrong == []
    assert counts["accepted"] >= 10


def test_vllm_sql_fixtures() -> None:
    base: Path = shared_path("corpora", "vllm-test-fixtures")
    good = ["SELECTcol_1fromtable_1wherecol_1=1", "SELECTcol_2fromtable_2wherecol_1=2"]
    bad = ["SELECT col_1 from table_1 where col_1=1", "SELECTcol_3fromtable_1wherecol_1=1", "SELECTcol_1"]
    for fname, syntax in (("sample_sql.gbnf", "gbnf"), ("sample_sql.lark", "lark")):
        g = compile_grammar_constraint((base / fname).read_text(), syntax, None)
        assert [s for s in good if not g.accepts(s)] == []
        assert [s for s in bad if g.accepts(s)] == []
    sql = shared_path("corpora", "llguidance-data", "sample_parser", "data", "from-llama.cpp", "vllm-sql.gbnf")
    g = compile_grammar_constraint(sql.read_text(), "gbnf", None)
    assert [s for s in good if not g.accepts(s)] == []
    assert [s for s in bad if g.accepts(s)] == []


def test_llama_cpp_schema_converter_grammars() -> None:
    """The 63 GBNF grammars llama.cpp's JSON-Schema converter emits all compile; where a schema also has
    accept/reject strings in the integration cases, the converted grammar must give exactly those answers."""
    tests = shared_path("corpora", "llama-cpp-grammars", "tests")
    converted = json.loads((tests / "json_schema_to_grammar_cases.json").read_text())["cases"]
    by_schema = {}
    counts: Counter[str] = Counter()
    for case in converted:
        if case["expected_status"] != "SUCCESS":
            continue
        g = compile_grammar_constraint(case["expected_gbnf"], "gbnf", None)
        by_schema[json.dumps(case["schema"], sort_keys=True)] = g
        counts["compiled"] += 1
    wrong = []
    for case in json.loads((tests / "grammar_integration_cases.json").read_text())["cases"]:
        g = by_schema.get(json.dumps(case.get("schema"), sort_keys=True))
        if case["kind"] != "json_schema" or g is None:
            continue
        for s in case["accept"]:
            counts["accepted"] += 1
            if not g.accepts(s):
                wrong.append((case["name"], s))
        for s in case["reject"]:
            counts["rejected"] += 1
            if g.accepts(s):
                wrong.append((case["name"], s))
    _report("llama.cpp schema->gbnf grammars", counts)
    assert wrong == []
    assert counts["compiled"] >= 60 and counts["accepted"] >= 50 and counts["rejected"] >= 50
