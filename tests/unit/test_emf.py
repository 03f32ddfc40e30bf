"""service/emf.py writes the Embedded Metric Format document Powertools' ``Metrics`` would
(the reference: a maintained implementation of AWS's specification), and keeps the
specification's limits."""

from __future__ import annotations

import json
import time

import pytest

from service.emf import MAX_METRICS, MAX_VALUES, EmbeddedMetrics
from tests.support.powertools_metrics import PowertoolsMetrics

NAMESPACE, SERVICE = "InventoryApi", "inventory-api"
PROPERTIES = {"route": "/v1/product/<id:product_id>", "status": 404, "cold_start": False,
              "message": 'GET /v1/product/0 404 "quoted" é', "lambda_request_id": None}  # fmt: skip
CALLS = [("Requests", "Count", 1), ("Latency", "Milliseconds", 0.53),
         ("Errors4xx", "Count", 1), ("Latency", "Milliseconds", 2)]  # fmt: skip


def _ours(calls, properties):
    lines: list[str] = []
    metrics = EmbeddedMetrics(NAMESPACE, {"service": SERVICE}, write=lines.append)
    metrics.describe(properties)
    for name, unit, value in calls:
        metrics.add(name, unit, value)
    metrics.flush()
    return [json.loads(line) for line in lines]


def _powertools(calls, properties, capsys):
    metrics = PowertoolsMetrics(NAMESPACE, SERVICE)
    metrics.describe(properties)
    for name, unit, value in calls:
        metrics.add(name, unit, value)
    metrics.flush()
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def _without_timestamps(documents):
    for document in documents:
        assert abs(document["_aws"].pop("Timestamp") / 1000 - time.time()) < 60
    return documents


@pytest.mark.parametrize(
    "calls",
    [CALLS, CALLS[:1], [("ImageBytesUploaded", "Bytes", 1234)]],
    ids=["request", "one metric", "upload"],
)
def test_the_document_is_powertools_member_for_member(calls, capsys):
    ours = _without_timestamps(_ours(calls, PROPERTIES))
    theirs = _without_timestamps(_powertools(calls, PROPERTIES, capsys))
    assert ours == theirs


def test_more_values_or_metrics_than_a_document_holds_split_like_powertools(capsys):
    many_values = [("Latency", "Milliseconds", i) for i in range(MAX_VALUES + 5)]
    many_metrics = [(f"M{i}", "Count", 1) for i in range(MAX_METRICS + 5)]
    for calls in (many_values, many_metrics):
        ours = _without_timestamps(_ours(calls, PROPERTIES))
        theirs = _without_timestamps(_powertools(calls, PROPERTIES, capsys))
        assert len(ours) == 2
        assert ours == theirs


def test_nothing_is_written_without_metrics_and_properties_do_not_leak():
    lines: list[str] = []
    metrics = EmbeddedMetrics(NAMESPACE, {"service": SERVICE}, write=lines.append)
    metrics.describe({"route": "/a"})
    metrics.flush()
    assert lines == []
    metrics.add("Requests", "Count", 1)
    metrics.flush()
    assert "route" not in json.loads(lines[0])


def test_units_are_cloudwatchs_and_stay_the_same_per_metric():
    metrics = EmbeddedMetrics(NAMESPACE, {"service": SERVICE}, write=lambda _line: None)
    with pytest.raises(ValueError, match="not a CloudWatch unit"):
        metrics.add("Latency", "ms", 1)
    metrics.add("Latency", "Milliseconds", 1)
    with pytest.raises(ValueError, match="in Milliseconds"):
        metrics.add("Latency", "Seconds", 1)
