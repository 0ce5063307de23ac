"""Server metrics in the Prometheus text format (``GET /metrics``), without a client library.

Counters: requests by endpoint and status, prompt and generated tokens. Histogram: request latency by endpoint.
Gauges: every numeric value of ``engine.stats()`` (running and waiting requests, KV usage, ...).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
PREFIX = "constrained"


class Metrics:
    """Thread-safe counters and a latency histogram for the HTTP layer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, int], int] = defaultdict(int)
        self._latency_counts: dict[str, list[int]] = {}
        self._latency_sum: dict[str, float] = defaultdict(float)
        self.prompt_tokens = 0
        self.generation_tokens = 0

    def observe_request(self, endpoint: str, status: int, seconds: float) -> None:
        """Count one finished request and its latency."""
        with self._lock:
            self._requests[(endpoint, status)] += 1
            counts = self._latency_counts.setdefault(endpoint, [0] * (len(LATENCY_BUCKETS) + 1))
            for i, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            counts[-1] += 1  # +Inf
            self._latency_sum[endpoint] += seconds

    def add_tokens(self, prompt: int, generated: int) -> None:
        """Count the tokens of one request."""
        with self._lock:
            self.prompt_tokens += prompt
            self.generation_tokens += generated

    def render(self, engine_stats: dict[str, Any] | None) -> str:
        """The exposition text."""
        lines: list[str] = []
        with self._lock:
            lines += [f"# HELP {PREFIX}_requests_total HTTP generation requests by endpoint and status.",
                      f"# TYPE {PREFIX}_requests_total counter"]
            for (endpoint, status), count in sorted(self._requests.items()):
                lines.append(f'{PREFIX}_requests_total{{endpoint="{endpoint}",status="{status}"}} {count}')
            for name, value, text in (("prompt_tokens_total", self.prompt_tokens, "Prompt tokens processed."),
                                      ("generation_tokens_total", self.generation_tokens, "Tokens generated.")):
                lines += [f"# HELP {PREFIX}_{name} {text}", f"# TYPE {PREFIX}_{name} counter",
                          f"{PREFIX}_{name} {value}"]
            lines += [f"# HELP {PREFIX}_request_latency_seconds Seconds to the answer (streams: to the first byte).",
                      f"# TYPE {PREFIX}_request_latency_seconds histogram"]
            for endpoint, counts in sorted(self._latency_counts.items()):
                for bound, count in zip([*map(str, LATENCY_BUCKETS), "+Inf"], counts, strict=True):
                    lines.append(f'{PREFIX}_request_latency_seconds_bucket{{endpoint="{endpoint}",le="{bound}"}} '
                                 f"{count}")
                lines.append(f'{PREFIX}_request_latency_seconds_sum{{endpoint="{endpoint}"}} '
                             f"{self._latency_sum[endpoint]:.6f}")
                lines.append(f'{PREFIX}_request_latency_seconds_count{{endpoint="{endpoint}"}} {counts[-1]}')
        for key, value in sorted((engine_stats or {}).items()):
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            name = f"{PREFIX}_engine_{_metric_name(key)}"
            lines += [f"# HELP {name} Engine statistic '{key}'.", f"# TYPE {name} gauge", f"{name} {value}"]
        return "\n".join(lines) + "\n"


def _metric_name(key: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in key).lower()
