"""Corpus run of the fuzzer (issue #7 "done when"): every corpus grammar that compiles + a MaskBench sample.

For each constraint: N samples (must all be accepted by the independent oracle), N near-miss negatives (must all be
rejected by it), coverage, time; per-item timeout so a hang shows up as ``timeout`` instead of blocking the run.
Oracles (``fuzz/oracles.py``): jsonschema + FormatChecker with ECMA-262 patterns for schemas, Lark Earley
(dynamic_complete, POSIX leftmost-longest terminals) for Lark grammars, ``regex.fullmatch`` for regexes, set
membership for choices. GBNF has no independent parser here: its samples are drawn from the non-inlined grammar
(Earley path) and checked against the default inlined compile (regex/DFA path) -- a differential of two of our own
paths. Schema negatives are made with ``valid=fuzz.schema_validity(schema)`` (plain jsonschema: mutants the schema
itself allows are dropped, and counted as ``schema_valid_mutants``: where our compile is stricter than the schema).
The vLLM fixtures (``vllm-test-fixtures/fixtures.json``: schemas, regex, choice) form their own set.

Usage: .venv/bin/python bench/fuzz_corpus.py [--samples 1000] [--negatives 1000] [--schemas 200] [--jobs 2]
       [--only grammars|schemas|fixtures] [--match SUBSTRING] [--json out.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import random
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from constrained import ConstraintError, compile_choice, compile_json_schema, compile_regex, fuzz  # noqa: E402
from constrained.grammar.compiled import CompiledGrammar, compile_grammar_constraint, load_grammar_ir  # noqa: E402
from constrained.grammar.earley import CompiledCFG  # noqa: E402
from fuzz.oracles import json_schema_oracle, lark_oracle, regex_oracle  # noqa: E402

CORPORA = REPO.parent / "shared" / "corpora"
MASKBENCH = CORPORA / "jsonschemabench" / "data"
FIXTURES = CORPORA / "vllm-test-fixtures" / "fixtures.json"
EXAMPLES = 3  # disagreement examples kept per item
SELF_CHECK_GRAMMAR = 200


class ItemTimeout(Exception):
    pass


def _alarm(_sig: int, _frame: Any) -> None:
    raise ItemTimeout


def grammar_paths() -> list[Path]:
    return sorted(CORPORA.rglob("*.lark")) + sorted(CORPORA.rglob("*.gbnf"))


def maskbench_sample(count: int, seed: int) -> list[tuple[str, Any]]:
    """``count`` (id, schema) pairs drawn with ``seed`` from all MaskBench splits."""
    records: list[tuple[str, Any]] = []
    for path in sorted(MASKBENCH.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            records.extend((rec["id"], rec["schema"]) for rec in map(json.loads, f) if "schema" in rec)
    records.sort(key=lambda r: r[0])
    return random.Random(seed).sample(records, min(count, len(records)))


def fixture_items() -> list[tuple[str, str, Any]]:
    """(name, kind, payload) of the vLLM fixtures that are not grammar files: schemas, the regex, the choice."""
    data = json.loads(FIXTURES.read_text(encoding="utf-8"))
    out: list[tuple[str, str, Any]] = [(f"vllm:{k}", "schema", v) for k, v in data.items() if k.endswith("schema")]
    out += [("vllm:sample_regex", "regex", data["sample_regex"]),
            ("vllm:sample_guided_choice", "choice", data["sample_guided_choice"])]
    return out


def _judge(oracle: Any, text: str) -> bool | None:
    """The oracle's verdict; None when the oracle itself crashed (Lark raises internal errors on a few grammars)."""
    try:
        return bool(oracle(text))
    except Exception:  # noqa: BLE001 -- counted as undecided, never as a verdict either way
        return None


def _check(item: dict[str, Any], constraint: Any, oracle: Any, n: int, n_neg: int, why: Any = None,
           valid: Any = None) -> None:
    """Sample, negatives, oracle verdicts and coverage into ``item``."""
    t0 = time.perf_counter()
    # The grammar sampler's own Earley check is off: each text is checked once, below, with ``accepts``.
    sampler = fuzz.make_sampler(constraint, seed=1, strategy="coverage", check=False)
    texts = list(fuzz.iter_samples(sampler, n))
    item["sample_s"] = round(time.perf_counter() - t0, 3)
    item.update(samples=len(texts), unique=len(set(texts)), coverage=sampler.coverage().as_dict())
    # Self-check with our own recognizer: every DFA text (cheap), the first SELF_CHECK_GRAMMAR grammar texts (Earley
    # in Python costs ~30 ms per text; the oracle below still judges all of them).
    checked = texts if hasattr(constraint, "dfa") else texts[:SELF_CHECK_GRAMMAR]
    item.update(self_checked=len(checked), self_rejected=sum(not constraint.accepts(t) for t in checked))
    if oracle is None:
        return
    verdicts = [(t, _judge(oracle, t)) for t in texts]
    bad = [t for t, ok in verdicts if ok is False]
    item["oracle_rejected_samples"] = len(bad)
    item["oracle_undecided"] = sum(ok is None for _, ok in verdicts)
    item["sample_examples"] = [{"text": t[:200], "why": why(t) if why else None} for t in bad[:EXAMPLES]]
    if why is not None and bad:
        item["sample_reasons"] = dict(Counter(why(t) for t in bad))
    t0 = time.perf_counter()
    dropped = [0]

    def counting_valid(text: str) -> bool:
        ok = bool(valid(text))
        dropped[0] += ok
        return ok

    negs = fuzz.negatives(constraint, n_neg, seed=1, valid=counting_valid if valid is not None else None)
    item["negative_s"] = round(time.perf_counter() - t0, 3)
    item["schema_valid_mutants"] = dropped[0]
    slipped = [g for g in negs if _judge(oracle, g.text) is not False]
    item.update(negatives=len(negs), oracle_accepted_negatives=len(slipped),
                negative_mutations=dict(Counter(g.mutation for g in negs)))
    if slipped:
        item["slipped_by_mutation"] = dict(Counter(g.mutation for g in slipped))
        item["negative_examples"] = [{"text": g.text[:200], "mutation": g.mutation, "detail": g.detail}
                                     for g in slipped[:EXAMPLES]]


def run_grammar(path: Path, n: int, n_neg: int) -> dict[str, Any]:
    item: dict[str, Any] = {"name": str(path.relative_to(CORPORA)), "kind": path.suffix[1:]}
    text = path.read_text(encoding="utf-8")
    try:
        compiled = compile_grammar_constraint(text, item["kind"], None, base_dir=str(path.parent))
    except ConstraintError as exc:
        return {**item, "status": "refused", "reason": f"{type(exc).__name__}: {str(exc)[:120]}"}
    oracle: Any = None
    if item["kind"] == "gbnf":
        # Sample the rules as CFG rules (meaningful alternative coverage); judge with the inlined (regex) compile.
        cfg = CompiledCFG(load_grammar_ir(text, "gbnf", inline=False))
        sampled: Any = CompiledGrammar("gbnf", cfg, None)
        oracle, item["oracle"] = compiled.accepts, "ours: inlined-regex compile (no independent GBNF parser)"
    else:
        sampled = compiled
        try:
            oracle, item["oracle"] = lark_oracle(text, path), "lark earley dynamic_complete"
        except Exception as exc:  # noqa: BLE001 -- Lark's own failure to load the grammar is a finding, not a crash
            item["oracle"] = f"unavailable: lark failed to load it: {str(exc)[:100]}"
    _check(item, sampled, oracle, n, n_neg)
    item["status"] = "ok"
    return item


def _schema_reason(schema: Any) -> Any:
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema, format_checker=jsonschema.FormatChecker())

    def why(text: str) -> str:
        try:
            doc = json.loads(text)
        except ValueError as exc:
            return f"not JSON: {exc}"[:80]
        errors = list(validator.iter_errors(doc))
        return ",".join(sorted({str(e.validator) + (f":{e.validator_value}" if e.validator == "format" else "")
                                for e in errors}))[:80] or "?"

    return why


def run_schema(case_id: str, schema: Any, n: int, n_neg: int, kind: str = "schema") -> dict[str, Any]:
    item: dict[str, Any] = {"name": case_id, "kind": kind, "oracle": "jsonschema+FormatChecker+ECMA patterns"}
    try:
        compiled = compile_json_schema(schema, None)
    except ConstraintError as exc:
        return {**item, "status": "refused", "reason": f"{type(exc).__name__}: {str(exc)[:120]}"}
    try:
        oracle = json_schema_oracle(schema)
    except Exception as exc:  # noqa: BLE001 -- a schema jsonschema cannot load is reported, not fatal
        return {**item, "status": "oracle-error", "reason": str(exc)[:120]}
    item["engine"] = "grammar" if hasattr(compiled, "cfg") else "dfa"
    _check(item, compiled, oracle, n, n_neg, _schema_reason(schema), fuzz.schema_validity(schema))
    item["status"] = "ok"
    return item


def run_fixture(name: str, kind: str, payload: Any, n: int, n_neg: int) -> dict[str, Any]:
    """A vLLM fixture: a schema (as ``run_schema``), the regex or the choice list."""
    if kind == "schema":
        return run_schema(name, payload, n, n_neg, kind="fixture")
    item: dict[str, Any] = {"name": name, "kind": "fixture"}
    try:
        compiled = compile_regex(payload, None) if kind == "regex" else compile_choice(payload, None)
    except ConstraintError as exc:
        return {**item, "status": "refused", "reason": f"{type(exc).__name__}: {str(exc)[:120]}"}
    if kind == "regex":
        oracle, item["oracle"] = regex_oracle(payload), "regex.fullmatch"
    else:
        choices = set(payload)
        oracle, item["oracle"] = choices.__contains__, "membership in the choice list"
    _check(item, compiled, oracle, n, n_neg)
    item["status"] = "ok"
    return item


def _group_kind(kind: str, payload: Any) -> str:
    """The summary group of a job: ``lark``/``gbnf`` for grammar files, ``fixture`` for vLLM fixtures."""
    if kind == "grammar":
        return str(payload.suffix[1:])
    return kind if kind == "schema" else "fixture"


def _work(job: tuple[str, Any, Any, int, int, int]) -> dict[str, Any]:
    kind, name, payload, n, n_neg, timeout = job
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    t0 = time.perf_counter()
    try:
        if kind == "grammar":
            item = run_grammar(payload, n, n_neg)
        elif kind == "schema":
            item = run_schema(name, payload, n, n_neg)
        else:
            item = run_fixture(name, kind.removeprefix("fixture:"), payload, n, n_neg)
    except ItemTimeout:
        item = {"name": name, "kind": _group_kind(kind, payload), "status": "timeout"}
    except Exception as exc:  # noqa: BLE001 -- one broken item must not end the run; it is reported
        item = {"name": name, "kind": _group_kind(kind, payload), "status": "error",
                "reason": f"{type(exc).__name__}: {str(exc)[:160]}"}
    finally:
        signal.alarm(0)
    item["seconds"] = round(time.perf_counter() - t0, 2)
    return item


def summarize(items: list[dict[str, Any]]) -> str:
    """Markdown summary: one row per group (Lark grammars, GBNF grammars, MaskBench schemas)."""
    rows = ["| set | items | compiled | refused | errors/timeouts | samples | oracle-rejected samples | "
            "oracle undecided | negatives | oracle-accepted negatives | schema-valid mutants dropped | "
            "mean coverage | max s/item |", "|" + "---|" * 13]
    for label, kind in (("Lark grammars", "lark"), ("GBNF grammars", "gbnf"), ("MaskBench schemas", "schema"),
                        ("vLLM fixtures (schemas, regex, choice)", "fixture")):
        group = [i for i in items if i["kind"] == kind]
        ok = [i for i in group if i["status"] == "ok"]
        judged = [i for i in ok if "oracle_rejected_samples" in i]
        cov = [i["coverage"]["ratio"] for i in ok]
        rows.append(
            f"| {label} | {len(group)} | {len(ok)} | {sum(i['status'] == 'refused' for i in group)} | "
            f"{sum(i['status'] in ('error', 'timeout', 'oracle-error') for i in group)} | "
            f"{sum(i['samples'] for i in ok)} | {sum(i['oracle_rejected_samples'] for i in judged)} "
            f"(in {sum(i['oracle_rejected_samples'] > 0 for i in judged)} items; {len(ok) - len(judged)} without "
            f"oracle) | {sum(i.get('oracle_undecided', 0) for i in judged)} | "
            f"{sum(i.get('negatives', 0) for i in judged)} | "
            f"{sum(i.get('oracle_accepted_negatives', 0) for i in judged)} | "
            f"{sum(i.get('schema_valid_mutants', 0) for i in judged)} | "
            f"{sum(cov) / len(cov) if cov else 0:.1%} | {max((i['seconds'] for i in group), default=0)} |")
    return "\n".join(rows)


def refusals(items: list[dict[str, Any]]) -> str:
    """Markdown list of refusal reasons per set (reason text up to its first colon-separated detail)."""
    lines = []
    for label, kind in (("Lark", "lark"), ("GBNF", "gbnf"), ("MaskBench", "schema"), ("vLLM fixtures", "fixture")):
        reasons = Counter(_reason_key(i.get("reason", "")) for i in items if i["kind"] == kind
                          and i["status"] != "ok")
        if reasons:
            lines.append(f"- {label}: " + "; ".join(f"{r} x{c}" for r, c in reasons.most_common()))
    return "\n".join(lines)


def _reason_key(reason: str) -> str:
    """``UnsupportedFeature: unsupported 'oneOf' at /x: ...`` -> ``UnsupportedFeature 'oneOf'`` (groupable)."""
    kind, _, rest = reason.partition(": ")
    if rest.startswith("unsupported '"):
        return f"{kind} '{rest.split(chr(39))[1]}'"
    if "took too long" in rest:
        return f"{kind} (compile time)"
    return f"{kind}: {rest[:60]}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--negatives", type=int, default=1000)
    ap.add_argument("--schemas", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0, help="which MaskBench schemas are drawn")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=600, help="seconds per item before it counts as a hang")
    ap.add_argument("--only", choices=["grammars", "schemas", "fixtures"], default=None)
    ap.add_argument("--match", default=None, help="only items whose name contains this")
    ap.add_argument("--json", type=Path, default=None, help="write every item's figures here")
    ap.add_argument("--summarize", type=Path, nargs="+", default=None, metavar="JSON",
                    help="run nothing: print the tables of saved --json files (later files replace same-name items)")
    args = ap.parse_args()
    if args.summarize:
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for path in args.summarize:
            merged.update({(i["kind"], i["name"]): i for i in json.loads(path.read_text(encoding="utf-8"))})
        print(summarize(sorted(merged.values(), key=lambda i: (i["kind"], i["name"]))))
        print("\nRefused or failed, by reason:\n" + refusals(list(merged.values())))
        return 0
    jobs: list[tuple[str, Any, Any, int, int, int]] = []
    if args.only in (None, "grammars"):
        jobs += [("grammar", str(p.relative_to(CORPORA)), p, args.samples, args.negatives, args.timeout)
                 for p in grammar_paths()]
    if args.only in (None, "schemas"):
        jobs += [("schema", cid, s, args.samples, args.negatives, args.timeout)
                 for cid, s in maskbench_sample(args.schemas, args.seed)]
    if args.only in (None, "fixtures"):
        jobs += [(f"fixture:{kind}", name, payload, args.samples, args.negatives, args.timeout)
                 for name, kind, payload in fixture_items()]
    if args.match:
        jobs = [j for j in jobs if args.match in j[1]]
    t0 = time.perf_counter()
    items: list[dict[str, Any]] = []
    with multiprocessing.Pool(args.jobs, maxtasksperchild=20) as pool:
        for item in pool.imap_unordered(_work, jobs):
            items.append(item)
            print(f"[{len(items)}/{len(jobs)}] {item['status']:8} {item['seconds']:7.2f}s {item['name']}",
                  file=sys.stderr)
    items.sort(key=lambda i: (i["kind"], i["name"]))
    print(summarize(items))
    print("\nRefused or failed, by reason:\n" + refusals(items))
    print(f"\ntotal {time.perf_counter() - t0:.0f} s with {args.jobs} jobs")
    if args.json:
        args.json.write_text(json.dumps(items, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
