"""Check one schema against its labelled instances: compile, byte-level accept, token-by-token walk.

A valid instance counts as accepted only when ``accepts`` takes its compact text AND a walk over the real
tokenizer's ids of that text (and of the pretty-printed text of the first valid instance whose indentation the
whitespace policy admits) finds every token in the mask, advances on it, and ends with EOS allowed. An invalid
instance must be rejected by ``accepts``. Where a corpus label disagrees with our verdict and the Python
``jsonschema`` validator agrees with us, the instance is counted as "disputed" (MaskBench labels were generated; the
test suite's are authoritative).
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import constrained
from bench.jsonschema_corpora import SchemaCase

MAX_EXAMPLES = 3  # failing instances kept per schema for the report


class SchemaTimeout(Exception):
    """The per-schema time limit fired."""


@dataclass
class SchemaResult:
    """What happened to one schema.

    Attributes:
        status: ``compiled``, ``refused`` (a ``ConstraintError``), ``timeout`` or ``crash`` (any other exception).
        reason: for refusals, ``ErrorClass:keyword`` (or ``ErrorClass:limit``); for crashes, the exception text.
        walked: whether token walks were done (a vocabulary was given).
        mask_seconds: duration of every ``fill_bitmask`` call of the walks.
    """

    split: str
    case_id: str
    status: str = "compiled"
    reason: str = ""
    compile_seconds: float = 0.0
    elapsed_seconds: float = 0.0  # the whole check: compile, byte checks and walks
    valid_accepted: int = 0
    valid_rejected: int = 0
    walk_failed: int = 0  # accepted by the byte DFA but not token by token: a mask bug
    invalid_accepted: int = 0
    invalid_rejected: int = 0
    disputed: int = 0
    valid_accepted_bytes: int = 0
    walked: bool = False
    mask_seconds: list[float] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    @property
    def fully_right(self) -> bool:
        """Compiled, and every instance right (token walks included when they were done)."""
        return self.status == "compiled" and not (self.valid_rejected or self.invalid_accepted)

    @property
    def fully_right_bytes(self) -> bool:
        """Compiled, and every instance right at the byte level (``accepts`` only)."""
        wrong_bytes = self.valid_rejected - self.walk_failed
        return self.status == "compiled" and not (wrong_bytes or self.invalid_accepted)


def refusal_reason(exc: constrained.ConstraintError) -> str:
    """``ErrorClass:keyword`` for a compile refusal (the keyword or budget name when the error carries one)."""
    detail = getattr(exc, "keyword", None) or getattr(exc, "limit", None) or ""
    return f"{type(exc).__name__}:{detail}" if detail else type(exc).__name__


def compact(data: Any) -> str:
    """Compact JSON text, raw UTF-8."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _python_verdict(schema: Any, data: Any) -> bool | None:
    import jsonschema

    try:
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        return bool(cls(schema, format_checker=cls.FORMAT_CHECKER).is_valid(data))
    except Exception:  # the validator cannot judge it (bad regex, unknown draft): no dispute
        return None


def walk_tokens(matcher: Any, ids: list[int], eos: tuple[int, ...], words: np.ndarray, times: list[float]) -> bool:
    """Feed ``ids`` one at a time, each checked against the mask first; then EOS (one of ``eos``) must be allowed."""
    clock = time.perf_counter
    for token in [*ids, None]:
        t0 = clock()
        matcher.fill_bitmask(words)
        times.append(clock() - t0)
        if token is None:
            return any((int(words[e >> 5]) >> (e & 31)) & 1 for e in eos) and matcher.advance(eos[0])
        if not (int(words[token >> 5]) >> (token & 31)) & 1 or not matcher.advance(token):
            return False
    return False


def check_case(
    case: SchemaCase,
    vocab: constrained.Vocabulary | None,
    encode: Callable[[str], list[int]] | None,
    timeout_s: float,
    property_order: str = "schema",
) -> SchemaResult:
    """Compile ``case.schema`` and judge every instance; never raises (timeouts and crashes are recorded).

    Args:
        case: the schema and its labelled instances.
        vocab: the vocabulary for token walks, or None for byte-level checks only.
        encode: the tokenizer matching ``vocab``.
        timeout_s: wall-clock limit for the whole schema (compile and checks).
        property_order: passed to ``compile_json_schema``.
    """
    result = SchemaResult(case.split, case.case_id)

    def on_alarm(_sig: int, _frame: Any) -> None:
        raise SchemaTimeout

    started = time.perf_counter()
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        _check(case, vocab, encode, result, property_order)
    except SchemaTimeout:
        result.status, result.reason = "timeout", f"timeout:{timeout_s:g}s"
    except Exception as exc:  # a crash is a bug to report, not a reason to lose the run
        result.status, result.reason = "crash", f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        constrained.clear_cache()  # the compile cache would otherwise keep every schema's masks alive
        result.elapsed_seconds = time.perf_counter() - started
    return result


def _check(
    case: SchemaCase,
    vocab: constrained.Vocabulary | None,
    encode: Callable[[str], list[int]] | None,
    r: SchemaResult,
    property_order: str,
) -> None:
    t0 = time.perf_counter()
    try:
        compiled = constrained.compile_json_schema(
            case.schema, vocab, property_order=property_order, formats=case.formats, resources=case.resources
        )
    except constrained.ConstraintError as exc:
        r.status, r.reason = "refused", refusal_reason(exc)
        return
    finally:
        r.compile_seconds = time.perf_counter() - t0
    r.walked = vocab is not None and encode is not None
    try:
        _judge(case, compiled, encode, r, np.zeros(((vocab.size if vocab else 0) + 31) // 32, dtype=np.int32))
    except constrained.BudgetExceeded as exc:  # a grammar terminal built on first use went over a budget
        r.status, r.reason = "refused", refusal_reason(exc) + "@run"


def _judge(
    case: SchemaCase,
    compiled: Any,
    encode: Callable[[str], list[int]] | None,
    r: SchemaResult,
    words: np.ndarray,
) -> None:
    pretty_done = False
    for data, valid in case.instances:
        text = compact(data)
        ok = compiled.accepts(text)
        if valid:
            r.valid_accepted_bytes += ok
        if valid and ok and r.walked:
            assert encode is not None
            texts = [text]
            if not pretty_done:
                pretty = json.dumps(data, indent=2, ensure_ascii=False)
                # Deep nesting can indent past the bounded whitespace policy (``whitespace.MAX_INDENT``): such a
                # text is outside the language by design, so only texts the byte automaton takes are walked.
                if compiled.accepts(pretty):
                    texts.append(pretty)
                    pretty_done = True
            eos = compiled.vocab.eos_token_ids
            walked = all(walk_tokens(compiled.matcher(), encode(t), eos, words, r.mask_seconds) for t in texts)
            if not walked:
                r.walk_failed += 1
                r.valid_rejected += 1
                _example(r, "walk failed", text)
                continue
        if ok == valid:
            r.valid_accepted += valid
            r.invalid_rejected += not valid
        elif not case.labels_authoritative and _python_verdict(case.schema, data) == ok:
            r.disputed += 1
        elif valid:
            r.valid_rejected += 1
            _example(r, "valid rejected", text)
        else:
            r.invalid_accepted += 1
            _example(r, "INVALID ACCEPTED", text)


def _example(r: SchemaResult, what: str, text: str) -> None:
    if len(r.examples) < MAX_EXAMPLES:
        r.examples.append(f"{what}: {text[:200]}")
