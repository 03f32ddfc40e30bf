"""The one-off jobs log JSON under their own POWERTOOLS_SERVICE_NAME, and no secret."""

from __future__ import annotations

import json
import logging

import pytest

from service.jobs import migrate


@pytest.fixture
def lambda_logs(capsys, monkeypatch):
    """Logging as on Lambda (JSON to stdout), configured afresh by the handler under test."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "inventory-job")
    root = logging.getLogger("service")
    saved = root.handlers[:], root.propagate, root.level
    root.handlers = []
    yield capsys
    root.handlers, root.propagate = saved[0], saved[1]
    root.setLevel(saved[2])


def json_lines(capsys):
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")], out


def test_the_migration_job_logs_under_its_service_name(cluster, lambda_logs, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "inventory-migrate")
    migrate.handler({"action": "upgrade", "revision": "head"}, None)
    lines, out = json_lines(lambda_logs)
    assert lines
    assert {line["service"] for line in lines} == {"inventory-migrate"}
    assert cluster.app_secret()["password"] not in out


def test_the_rotation_function_logs_under_its_service_name(
    cluster, rotation_client, lambda_logs, monkeypatch
):
    migrate.handler({"action": "upgrade", "revision": "head"}, None)
    logging.getLogger("service").handlers = []  # the rotation function is its own process
    lambda_logs.readouterr()
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "inventory-rotate")
    rotation_client.rotate(cluster.app_arn)
    lines, out = json_lines(lambda_logs)
    assert len(lines) >= 4  # one line per step at least
    assert {line["service"] for line in lines} == {"inventory-rotate"}
    for stage in ("AWSCURRENT", "AWSPREVIOUS"):
        assert cluster.app_secret(stage)["password"] not in out
