"""status, logs and invoke against moto (Lambda, CloudWatch Logs), through the CLI."""

from __future__ import annotations

import io
import json
import time

import boto3
import pytest

from deploy import logs
from deploy.cli import main
from deploy.zipper import file_hashes
from tests.support.deploy_lambda import NAMES, healthz_handler, small_zip

API, MIGRATE, ROTATE = (
    NAMES[k] for k in ("API_FUNCTION_NAME", "MIGRATE_FUNCTION_NAME", "ROTATE_FUNCTION_NAME")
)


@pytest.fixture
def live_release(stack, tmp_path, capsys):
    """Version 2 published from build/lambda.zip and promoted; the zip's path."""
    package = tmp_path / "lambda.zip"
    package.write_bytes(small_zip("v2"))
    release = tmp_path / "release.json"
    assert (
        main(
            ["publish", "--zip", str(package), "--output", str(release), "--description", "abc123"]
        )
        == 0
    )
    stack.runtime.on(API, healthz_handler(200))
    assert main(["promote", "--release", str(release)]) == 0
    capsys.readouterr()
    stack.runtime.calls.clear()
    return package


# ---------------------------------------------------------------------------
# status
# ---------------------------------------------------------------------------


def test_status_json_shows_live_previous_code_and_routing(stack, live_release, capsys):
    assert main(["status", "--zip", str(live_release), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    _hex, zip_sha = file_hashes(live_release)
    assert report["zip"] == {"path": str(live_release), "code_sha256": zip_sha}
    api = report["functions"]["api"]
    assert api["function_name"] == API
    assert (api["runtime"], api["architectures"], api["alias"]) == ("python3.12", ["arm64"], "live")
    assert api["live"]["version"] == "2"
    assert api["live"]["code_sha256"] == zip_sha and api["live"]["matches_zip"] is True
    assert api["live"]["description"] == "abc123"
    assert api["live"]["last_modified"]
    assert api["previous"]["version"] == "1" and api["previous"]["matches_zip"] is False
    assert api["routing"] == {"2": 1.0}
    rotate = report["functions"]["rotate"]
    assert (rotate["live"]["version"], rotate["previous"]["version"]) == ("2", "1")
    # The migration job has no alias: its newest published version
    migrate = report["functions"]["migrate"]
    assert migrate["alias"] is None and migrate["live"]["version"] == "2"
    assert migrate["previous"] is None


def test_status_text_and_weighted_routing(stack, live_release, capsys):
    stack.client.update_alias(
        FunctionName=API,
        Name="live",
        RoutingConfig={"AdditionalVersionWeights": {"1": 0.1}},
    )
    assert main(["status", "--zip", str(live_release)]) == 0
    text = capsys.readouterr().out
    assert f"api: {API} (python3.12, arm64, Active)" in text
    assert "  live ->   version 2" in text and f"same as {live_release}" in text
    assert "  previous  version 1" in text and f"differs from {live_release}" in text
    assert "  routing   90% version 2, 10% version 1" in text
    assert f"migrate: {MIGRATE}" in text and "  newest    version 2" in text


def test_status_without_a_local_zip_and_without_alias(stack, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no build/lambda.zip here
    stack.client.delete_alias(FunctionName=ROTATE, Name="live")
    assert main(["status", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["zip"] is None
    assert report["functions"]["api"]["live"]["matches_zip"] is None
    assert report["functions"]["rotate"]["alias"] is None
    assert main(["status"]) == 0
    assert "no alias: Terraform creates `live`" in capsys.readouterr().out


def test_status_with_a_zip_that_does_not_exist_is_an_error(stack, tmp_path, capsys):
    # An explicit --zip is never silently dropped from the comparison.
    assert main(["status", "--zip", str(tmp_path / "none.zip")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == f"error: --zip {tmp_path / 'none.zip'}: no such file"


# ---------------------------------------------------------------------------
# logs
# ---------------------------------------------------------------------------

POWERTOOLS_LINE = json.dumps(
    {
        "level": "INFO",
        "location": "_log_request:95",
        "message": "GET /healthz 200 3.1ms",
        "timestamp": "2026-11-02 10:00:00,123+0000",
        "service": "inventory-api",
        "logger": "service.access",
        "http_method": "GET",
        "status": 200,
        "latency_ms": 3.1,
        "function_request_id": "1a2b3c4d-0000-4000-8000-000000000000",
        "xray_trace_id": "1-abc",
    }
)
ERROR_LINE = json.dumps(
    {
        "level": "ERROR",
        "message": "could not flush metrics",
        "logger": "service.observability",
        "exception": 'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: bad',
        "exception_name": "ValueError",
    }
)
EMF_LINE = json.dumps(
    {
        "_aws": {
            "Timestamp": 1,
            "CloudWatchMetrics": [
                {"Namespace": "Inventory", "Metrics": [{"Name": "Requests"}, {"Name": "Latency"}]}
            ],
        },
        "Requests": [1.0],
        "Latency": [3.1],
    }
)


# What the API prints on Lambda per request: the EMF document carrying the access record
# (service/observability.py).
ACCESS_EMF_LINE = json.dumps(
    {
        "_aws": {
            "Timestamp": 1,
            "CloudWatchMetrics": [
                {"Namespace": "Inventory", "Dimensions": [["service"]],
                 "Metrics": [{"Name": "Requests"}, {"Name": "Latency"}]}
            ],
        },
        "service": "inventory-api",
        "Requests": [1.0],
        "Latency": [3.1],
        "level": "INFO",
        "logger": "service.access",
        "message": "GET /healthz 200 3.1ms",
        "http_method": "GET",
        "status": 200,
        "lambda_request_id": "1a2b3c4d-0000-4000-8000-000000000000",
        "cold_start": False,
    }
)  # fmt: skip


def test_logs_show_the_access_record_of_an_emf_line_with_its_metrics():
    assert logs.render_message(ACCESS_EMF_LINE) == (
        "INFO    service.access: GET /healthz 200 3.1ms http_method=GET status=200 "
        "[1a2b3c4d] metrics Requests=[1.0] Latency=[3.1]"
    )


@pytest.fixture
def log_groups(stack):
    """The three functions' log groups with a few events each; the logs client."""
    client = boto3.client("logs")
    now = int(time.time() * 1000)
    lines = {
        API: [
            (now - 5000, "START RequestId: 1a2b Version: 2\n"),
            (now - 4000, POWERTOOLS_LINE + "\n"),
            (now - 3000, EMF_LINE + "\n"),
            (now - 2000, "REPORT RequestId: 1a2b Duration: 3.12 ms Billed Duration: 4 ms\n"),
        ],
        MIGRATE: [(now - 4500, ERROR_LINE + "\n")],
        ROTATE: [(now - 3600 * 1000, "an old line\n")],
    }
    for function, events in lines.items():
        group = logs.log_group(function)
        client.create_log_group(logGroupName=group)
        client.create_log_stream(logGroupName=group, logStreamName="s")
        client.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[{"timestamp": t, "message": m} for t, m in events],
        )
    return client


def test_logs_merges_the_functions_in_time_order_readably(log_groups, capsys):
    assert main(["logs", "--since", "10m"]) == 0
    printed = capsys.readouterr().out.splitlines()
    roles = [line.split()[2] for line in printed if line[:4].isdigit()]
    assert roles == ["api", "migrate", "api", "api", "api"]  # the hour-old rotate line is out
    text = "\n".join(printed)
    assert "api     START RequestId: 1a2b Version: 2" in text
    assert (
        "api     INFO    service.access: GET /healthz 200 3.1ms "
        "http_method=GET status=200 latency_ms=3.1 [1a2b3c4d]"
    ) in text
    assert "api     metrics Requests=[1.0] Latency=[3.1]" in text
    assert "migrate ERROR   service.observability: could not flush metrics" in text
    assert "    ValueError: bad" in text  # the traceback, indented under its line
    assert '"_aws"' not in text and "xray_trace_id" not in text


def test_logs_of_one_function_with_a_filter(log_groups, capsys):
    assert main(["logs", "api", "--since", "1h", "--filter", "REPORT"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and "REPORT RequestId: 1a2b" in printed[0]
    assert main(["logs", "rotate", "--since", "2h"]) == 0
    assert "an old line" in capsys.readouterr().out


def test_logs_rejects_unknown_functions_and_bad_since(log_groups, capsys):
    assert main(["logs", "apii"]) == 1
    assert "unknown function apii" in capsys.readouterr().err
    assert main(["logs", "--since", "yesterday"]) == 1
    assert "--since takes 10m, 2h, 1d or an ISO time" in capsys.readouterr().err


def test_logs_follow_prints_new_events_once(log_groups):
    group = logs.log_group(API)
    out = io.StringIO()
    polls = []

    def sleep(seconds):
        polls.append(seconds)
        if len(polls) == 1:  # something new arrives between polls
            log_groups.put_log_events(
                logGroupName=group,
                logStreamName="s",
                logEvents=[{"timestamp": int(time.time() * 1000), "message": "new line\n"}],
            )
        elif len(polls) == 3:
            raise KeyboardInterrupt

    start = logs.parse_since("10m", time.time())
    count = logs.show(log_groups, {"api": group}, start, None, out, follow=True, sleep=sleep)
    lines = out.getvalue().splitlines()
    assert count == 5 and len(lines) == 5
    assert lines[-1].endswith("api     new line")
    assert polls == [2.0, 2.0, 2.0]


def test_missing_log_group_is_one_clear_line(stack, capsys):
    assert main(["logs", "api"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        "error: log group /aws/lambda/inventory-api does not exist in eu-west-1 "
        "(logs:FilterLogEvents): the function has not logged yet, or its name is wrong: "
        "check API_FUNCTION_NAME or --api-function and AWS_REGION"
    )


@pytest.mark.parametrize(
    ("text", "seconds"), [("10m", 600), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("45s", 45)]
)
def test_parse_since_durations(text, seconds):
    assert logs.parse_since(text, 10_000.0) == (10_000 - seconds) * 1000


def test_parse_since_iso_time():
    assert logs.parse_since("2026-11-02T10:00:00Z", 0) == 1793613600000
    assert logs.parse_since("2026-11-02T10:00:00", 0) == 1793613600000  # UTC when naive


# ---------------------------------------------------------------------------
# invoke
# ---------------------------------------------------------------------------


def test_invoke_migration_job_current_at_its_newest_version(stack, live_release, capsys):
    stack.runtime.on(
        MIGRATE, lambda event, q: {"ok": True, "action": event["action"], "after": "0003"}
    )
    assert main(["invoke", "migrate", "--payload", '{"action": "current"}']) == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True, "action": "current", "after": "0003"}
    (call,) = stack.runtime.calls
    assert (call.function, call.qualifier, call.event) == (MIGRATE, "2", {"action": "current"})


def test_invoke_api_through_live_with_a_payload_file(stack, live_release, tmp_path, capsys):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"httpMethod": "GET", "path": "/healthz"}))
    assert main(["invoke", "api", "--payload", f"@{event}", "--log-tail"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["statusCode"] == 200
    assert "--- last log lines of inventory-api:live ---" in captured.err
    assert "GET /healthz 200" in captured.err
    assert stack.runtime.calls[0].qualifier == "live"


def test_invoke_by_function_name_and_qualifier(stack, live_release, capsys):
    assert main(["invoke", ROTATE, "--qualifier", "1", "--payload", '{"ping": 1}']) == 0
    assert json.loads(capsys.readouterr().out) == {"ping": 1}  # the default handler echoes
    assert (stack.runtime.calls[0].function, stack.runtime.calls[0].qualifier) == (ROTATE, "1")


def test_invoke_failure_prints_tail_and_exits_1(stack, live_release, capsys):
    def broken(event, qualifier):
        raise KeyError("password")

    stack.runtime.on(ROTATE, broken)
    assert main(["invoke", "rotate"]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == (
        "error: inventory-rotate:live failed (Unhandled): KeyError: 'password'"
    )
    assert "--- last log lines of inventory-rotate:live ---" in err


def test_invoke_rejects_a_payload_that_is_not_json(stack, capsys):
    assert main(["invoke", "api", "--payload", "{nope"]) == 1
    assert "--payload is not JSON" in capsys.readouterr().err
    assert stack.runtime.calls == []
