"""JSON logs with request ids, one access record per request, EMF metrics, no secrets."""

from __future__ import annotations

import base64
import json
import logging

import pytest
from apig_wsgi import make_lambda_handler
from werkzeug.datastructures import Headers

from service import observability
from tests.support.apps import aws_app
from tests.support.transport import LambdaContext, basic_auth, make_v1_event

PASSWORD = "s3cret-Passw0rd:with,punctuation"


@pytest.fixture
def json_stdout(capsys):
    """Route the service's logs to the captured stdout as JSON, as on Lambda."""
    root = logging.getLogger("service")
    saved = root.handlers[:], root.propagate
    root.handlers = []
    yield capsys
    root.handlers, root.propagate = saved


def _call(handler, method, path, *, headers=None, body=None):
    raw = json.dumps(body).encode() if body is not None else b""
    sent = Headers(headers or {})
    if body is not None:
        sent["Content-Type"] = "application/json"
    event = make_v1_event(method=method, path=path, headers=sent, body=raw)
    context = LambdaContext()
    result = handler(event, context)
    return result, event["requestContext"]["requestId"], context.aws_request_id


def test_logs_and_metrics_of_a_lambda_invocation(migrated, tmp_path, json_stdout):
    app = aws_app(tmp_path, LOG_JSON=True, METRICS_ENABLED=True)
    handler = observability.instrument(make_lambda_handler(app, binary_support=True), app)
    username = "observed@example.com"

    calls = [
        _call(handler, "POST", "/v1/user", body={"username": username, "password": PASSWORD,
                                                 "first_name": "O", "last_name": "B"}),
        _call(handler, "GET", "/v1/user/1", headers=basic_auth(username, PASSWORD)),
        _call(handler, "GET", "/v1/user/1", headers=basic_auth(username, "wrong-password")),
        _call(handler, "GET", "/v1/product/424242"),
    ]  # fmt: skip
    output = json_stdout.readouterr().out
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]

    access = [line for line in lines if line.get("logger") == "service.access"]
    assert [(a["http_method"], a["route"], a["status"]) for a in access] == [
        ("POST", "/v1/user", 201),
        ("GET", "/v1/user/<id:user_id>", 200),
        ("GET", "/v1/user/<id:user_id>", 401),
        ("GET", "/v1/product/<id:product_id>", 404),
    ]
    for line, (_, apigw_id, lambda_id) in zip(access, calls, strict=True):
        assert (line["apigw_request_id"], line["lambda_request_id"]) == (apigw_id, lambda_id)
        assert line["level"] == "INFO" and line["latency_ms"] >= 0
        # One line per request: the access record rides in the invocation's EMF document.
        assert (
            line["_aws"]["CloudWatchMetrics"] and round(line["Latency"][0], 2) == line["latency_ms"]
        )
        assert line["message"].startswith(f"{line['http_method']} {line['path']} ")
    # Every line of an invocation carries its ids, not only the access record.
    assert all("lambda_request_id" in line for line in lines if "level" in line)

    metrics = [line for line in lines if "_aws" in line]
    assert len(metrics) == len(calls)  # one EMF document flushed per invocation
    assert metrics == access  # the access records are those lines: no second line each
    names = {m["Name"] for doc in metrics for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"Requests", "Latency", "Errors4xx"} <= names

    # Nothing secret anywhere: passwords, their hash, the header, the DB password.
    db_password = migrated.app_secret()["password"]
    token = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    for secret in (PASSWORD, db_password, token, "$2b$"):
        assert secret not in output


def test_image_bytes_are_counted(make_app, json_stdout):
    import io

    from tests.support import images
    from tests.support.factories import create_account, create_product
    from tests.support.transport import ApiClient

    app = make_app(LOG_JSON=True, METRICS_ENABLED=True)
    api = ApiClient(app, "flask")
    owner = create_account(api)
    product = create_product(api, owner)
    data = images.png(2, 2)
    files = {"image": (io.BytesIO(data), "a.png")}
    assert api.post(f"/v1/product/{product['id']}/image", data=files,
                    headers=owner.auth).status_code == 201  # fmt: skip
    app.extensions["metrics"].flush()
    docs = [json.loads(x) for x in json_stdout.readouterr().out.splitlines() if '"_aws"' in x]
    assert docs[-1]["ImageBytesUploaded"] == [len(data)]


def test_tracing_is_off_by_default_and_wraps_the_handler_when_enabled(make_app):
    import sys

    from tests.support.transport import load_event

    plain = make_app()
    untraced = observability.instrument(make_lambda_handler(plain), plain)
    assert untraced.__wrapped__.__module__ == "apig_wsgi"

    traced_app = make_app(TRACING_ENABLED=True)
    traced = observability.instrument(make_lambda_handler(traced_app), traced_app)
    assert "aws_xray_sdk" in sys.modules
    assert traced(load_event("rest_v1_get.json"), LambdaContext())["statusCode"] == 200


def _walk_keys(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _walk_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_keys(item)


def test_xray_gets_no_body_header_or_url(database_url, make_app):  # make_app: the cleanup
    # GIVEN the traced handler as on Lambda (X-Ray's Lambda mode, botocore and pymysql
    # patched) with the emitter captured, WHEN users, products and images go through it
    # (and a handler fails), THEN no segment document carries a body, a header, a URL
    # or an error message: only timings, ids, annotations and AWS call names.
    import subprocess
    import sys
    from pathlib import Path

    completed = subprocess.run(
        [sys.executable, "-m", "tests.support.xray_capture", database_url],
        capture_output=True, text=True, check=True, timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    captured = json.loads(completed.stdout.strip().splitlines()[-1])
    statuses = [r["status"] for r in captured["responses"]]
    assert statuses == [201, 200, 201, 201, 200, 401, 404, None]
    documents = [json.loads(d) for d in captured["documents"]]
    names = [d["name"] for d in documents]
    assert names.count("## handler") == 7 and "## failing" in names  # tracing did run
    assert any(d.get("aws", {}).get("operation") == "PutObject" for d in documents)

    text = "\n".join(captured["documents"])
    secrets = captured["secrets"]
    for secret in (secrets["username"], secrets["password"], secrets["token"],
                   secrets["download_url"], *secrets["names"]):  # fmt: skip
        assert secret not in text
    for leak in ("X-Amz-Signature", "Authorization", "Basic ", "http://", "https://", "{\\"):
        assert leak not in text
    keys = set(_walk_keys(documents))
    assert not keys & {"metadata", "url", "request", "headers", "body"}
    failure = next(d for d in documents if d["name"] == "## failing")
    assert [e["message"] for e in failure["cause"]["exceptions"]] == [
        "the handler failed; see the function's logs"
    ]
