"""Summaries of latency samples: median, p95, p99 and throughput."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), math.ceil(fraction * len(sorted_values))))
    return sorted_values[rank - 1]


def summarize(wall_ns: Sequence[int], cpu_ns: Sequence[int] | None = None) -> dict[str, Any]:
    """Milliseconds: median, p95, p99, mean, min, max; rps = sequential requests per second."""
    values = sorted(v / 1e6 for v in wall_ns)
    mean = statistics.fmean(values)
    result: dict[str, Any] = {
        "n": len(values),
        "median_ms": statistics.median(values),
        "p95_ms": percentile(values, 0.95),
        "p99_ms": percentile(values, 0.99),
        "mean_ms": mean,
        "min_ms": values[0],
        "max_ms": values[-1],
        "rps": 1000.0 / mean if mean else float("inf"),
    }
    if cpu_ns:
        cpu = sorted(v / 1e6 for v in cpu_ns)
        result["cpu_median_ms"] = statistics.median(cpu)
        result["cpu_mean_ms"] = statistics.fmean(cpu)
    return result
