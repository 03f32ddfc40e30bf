"""Powertools' ``Metrics`` behind the interface of service.emf.EmbeddedMetrics: the
reference tests/unit/test_emf.py compares with, and the benchmark variant that shows what
the switch saved (tests/benchmarks/variants.py). It prints its documents on stdout."""

from __future__ import annotations

from typing import Any


class PowertoolsMetrics:
    def __init__(self, namespace: str, service: str) -> None:
        from aws_lambda_powertools import Metrics

        self._metrics = Metrics(namespace=namespace, service=service)

    def add(self, name: str, unit: str, value: float) -> None:
        self._metrics.add_metric(name=name, unit=unit, value=value)

    def describe(self, properties: dict[str, Any]) -> None:
        for key, value in properties.items():
            self._metrics.add_metadata(key=key, value=value)

    def flush(self) -> None:
        self._metrics.flush_metrics(raise_on_empty_metrics=False)
