"""Scoreboard arithmetic and text: per-split summaries, the printed table, and the ratchet comparison."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from bench.jsonschema_check import SchemaResult

# Rows quoted from issue #4 (llguidance / xgrammar on a 100-per-split sample, Llama-3 vocabulary); not measured here.
QUOTED_PEERS = [
    ("llguidance (quoted, issue #4)", "90% fully right overall (refuses 10%); JsonSchemaStore 61%, Github_ultra 65%, "
     "MCPspec 77%; 0 invalid accepted"),
    ("xgrammar (quoted, issue #4)", "83% fully right overall; 122 invalid instances accepted"),
]

# Summary keys where a larger number is worse / better, for the ratchet.
WORSE_IF_HIGHER = ("refused", "invalid_accepted", "crashed", "timed_out")
WORSE_IF_LOWER = ("fully_right_bytes",)
WORSE_IF_LOWER_TOKENS = ("fully_right",)
WORSE_IF_HIGHER_TOKENS = ("walk_failed",)


def _percentiles_ms(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None, "max": None}
    arr = np.asarray(values) * 1000.0
    return {"p50": round(float(np.percentile(arr, 50)), 3), "p99": round(float(np.percentile(arr, 99)), 3),
            "max": round(float(arr.max()), 3)}


def split_summary(results: list[SchemaResult]) -> dict[str, Any]:
    """Counts and timings for a list of schema results (one split, or all of them)."""
    compiled = [r for r in results if r.status == "compiled"]
    reasons = Counter(r.reason for r in results if r.status != "compiled")
    masks = [t for r in compiled for t in r.mask_seconds]
    return {
        "schemas": len(results),
        "compiled": len(compiled),
        "refused": len(results) - len(compiled),
        "crashed": sum(r.status == "crash" for r in results),
        "timed_out": sum(r.status == "timeout" for r in results),
        "refused_by_reason": dict(reasons.most_common()),
        "fully_right": sum(r.fully_right for r in results),
        "fully_right_bytes": sum(r.fully_right_bytes for r in results),
        "valid_accepted": sum(r.valid_accepted for r in compiled),
        "valid_rejected": sum(r.valid_rejected for r in compiled),
        "walk_failed": sum(r.walk_failed for r in compiled),
        "invalid_accepted": sum(r.invalid_accepted for r in compiled),
        "invalid_rejected": sum(r.invalid_rejected for r in compiled),
        "disputed": sum(r.disputed for r in compiled),
        "token_walks": any(r.walked for r in compiled),
        "masks": len(masks),
        "compile_ms": _percentiles_ms([r.compile_seconds for r in compiled]),
        "mask_ms": _percentiles_ms(masks),
    }


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def _num(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 1 else f"{v:.3f}"


def _ms(stats: dict[str, float | None]) -> str:
    return "/".join(_num(stats[k]) for k in ("p50", "p99", "max"))


def format_table(splits: dict[str, dict[str, Any]], top_reasons: int = 4) -> str:
    """A Markdown table (one row per split, then overall), refusal reasons listed below it."""
    head = ("| split | schemas | compiled | refused | fully right | valid acc. | valid rej. | walk failed "
            "| invalid acc. | disputed | compile ms p50/p99/max | mask ms p50/p99/max |")
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for name, s in splits.items():
        label = f"**{name}**" if name == "overall" else name
        lines.append(
            f"| {label} | {s['schemas']} | {s['compiled']} | {s['refused']} "
            f"| {s['fully_right']} ({_pct(s['fully_right'], s['schemas'])}) | {s['valid_accepted']} "
            f"| {s['valid_rejected']} | {s['walk_failed']} | {s['invalid_accepted']} | {s['disputed']} "
            f"| {_ms(s['compile_ms'])} | {_ms(s['mask_ms'])} |"
        )
    lines.append("")
    for name, s in splits.items():
        reasons = list(s["refused_by_reason"].items())
        if reasons:
            shown = ", ".join(f"{k} {v}" for k, v in reasons[:top_reasons])
            more = f", ... ({len(reasons) - top_reasons} more reasons)" if len(reasons) > top_reasons else ""
            lines.append(f"- refused in {name}: {shown}{more}")
    return "\n".join(lines)


def regressions(baseline: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]], tokens: bool) -> list[str]:
    """Every way ``current`` is worse than ``baseline``, one line each (empty when nothing got worse).

    Any invalid instance accepted is a regression even if the baseline had some.
    """
    out = []
    higher = WORSE_IF_HIGHER + (WORSE_IF_HIGHER_TOKENS if tokens else ())
    lower = WORSE_IF_LOWER + (WORSE_IF_LOWER_TOKENS if tokens else ())
    for name, base in baseline.items():
        cur = current.get(name)
        if cur is None:
            out.append(f"{name}: missing from this run")
            continue
        if cur["schemas"] != base["schemas"]:
            out.append(f"{name}: sample changed ({base['schemas']} -> {cur['schemas']} schemas); regenerate")
        out += [f"{name}: {k} {base[k]} -> {cur[k]} (higher is worse)" for k in higher if cur[k] > base[k]]
        out += [f"{name}: {k} {base[k]} -> {cur[k]} (lower is worse)" for k in lower if cur[k] < base[k]]
        if cur["invalid_accepted"] and not any(k == "invalid_accepted" and cur[k] > base[k] for k in higher):
            out.append(f"{name}: {cur['invalid_accepted']} invalid instances accepted (must be 0)")
    return out


def improvements(baseline: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]]) -> list[str]:
    """Where ``current`` beats ``baseline`` (a hint to regenerate the baseline)."""
    out = []
    for name, base in baseline.items():
        cur = current.get(name) or {}
        for k in WORSE_IF_LOWER + WORSE_IF_LOWER_TOKENS:
            if k in cur and cur[k] > base[k]:
                out.append(f"{name}: {k} {base[k]} -> {cur[k]}")
    return out
