"""CloudWatch metrics as Embedded Metric Format documents: one JSON line per invocation
that CloudWatch Logs turns into metrics, with no API call.

The format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
CloudWatch_Embedded_Metric_Format_Specification.html (an ``_aws`` member with the
timestamp and the metric directives; the dimensions, properties and metric values as
members of the root). The units: CloudWatch's ``StandardUnit``
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html).

Why not Powertools' ``Metrics`` (still used here for JSON logs and tracing): for the
API's few metrics and one dimension, its validation and bookkeeping cost ~0.07 ms of a
~1 ms GET (docs/performance.md, the variants of the fourth round); this builds the same
document, member for member (tests/unit/test_emf.py compares the two), with one
``json.dumps``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

UNITS = frozenset(
    {
        "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
        "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
        "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
        "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
        "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
    }
)  # fmt: skip
MAX_METRICS = 100  # metric definitions in one directive
MAX_VALUES = 100  # values of one metric in one document


def _print(line: str) -> None:
    sys.stdout.write(line + "\n")


class EmbeddedMetrics:
    """Metrics and properties collected during an invocation, written by ``flush``."""

    def __init__(
        self, namespace: str, dimensions: dict[str, str], write: Callable[[str], None] = _print
    ) -> None:
        if not namespace or not dimensions:
            raise ValueError("a namespace and at least one dimension are required")
        self._namespace = namespace
        self._dimensions = dict(dimensions)
        self._dimension_keys = [list(self._dimensions)]
        self._write = write
        self._values: dict[str, list[float]] = {}
        self._units: dict[str, str] = {}
        self._properties: dict[str, Any] = {}

    def add(self, name: str, unit: str, value: float) -> None:
        """One value of metric ``name`` (its unit must be the same all along)."""
        if unit not in UNITS:
            raise ValueError(f"{unit!r} is not a CloudWatch unit")
        values = self._values.get(name)
        if values is None:
            if len(self._values) == MAX_METRICS:
                self._emit()  # a full document goes out; the properties stay for the next
            values = self._values[name] = []
            self._units[name] = unit
        elif self._units[name] != unit:
            raise ValueError(f"metric {name!r} is in {self._units[name]}, not {unit}")
        values.append(float(value))
        if len(values) == MAX_VALUES:
            self._emit()

    def describe(self, properties: dict[str, Any]) -> None:
        """Members of the next document that are not metrics (searchable in Logs Insights)."""
        self._properties.update(properties)

    def flush(self) -> None:
        """Write the document, if any metric was added, and start afresh."""
        if self._values:
            self._emit()
        self._properties.clear()

    def _emit(self) -> None:
        document = {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": self._namespace,
                        "Dimensions": self._dimension_keys,
                        "Metrics": [{"Name": n, "Unit": u} for n, u in self._units.items()],
                    }
                ],
            },
            **self._dimensions,
            **self._properties,
            **self._values,
        }
        self._values, self._units = {}, {}
        self._write(json.dumps(document, separators=(",", ":"), default=str))
