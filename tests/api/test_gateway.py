"""What API Gateway hands the function: stage prefixes (REST v1 and HTTP API v2),
encoded paths, malformed events, and response details (204s, doubled slashes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from werkzeug.datastructures import Headers

from tests.support.databases import migrate_to_head
from tests.support.factories import create_account, create_product, product_payload
from tests.support.transport import ApiClient, make_v1_event, make_v2_event

PROBLEM = "application/problem+json"
ROOT = Path(__file__).resolve().parents[2]


def _json_headers(account) -> Headers:
    return Headers({**account.auth, "Content-Type": "application/json"})


# ---------------------------------------------------------------- REST v1: encoded paths


@pytest.mark.parametrize("raw_path", ["/v1/%70roduct", "/v1/produc%74", "/%76%31/product"])
def test_stage_prefix_survives_percent_encoded_paths(app, raw_path):
    # API Gateway passes both paths as the client sent them (still encoded): compare
    # like with like, or the stage falls out of every Location header.
    api = ApiClient(app, "apigw_v1")
    account = create_account(api)
    body = json.dumps(product_payload()).encode()
    event = make_v1_event(method="POST", path=raw_path, headers=_json_headers(account), body=body)
    assert event["requestContext"]["path"] == f"/prod{raw_path}"

    response = api.invoke(event)

    assert response.status_code == 201
    assert response.headers["Location"] == f"/prod/v1/product/{response.json['id']}"


def test_stage_prefix_of_a_custom_domain_base_path(app):
    # A custom domain's base path mapping ("/inventory") is in requestContext.path too.
    api = ApiClient(app, "apigw_v1")
    account = create_account(api)
    body = json.dumps(product_payload()).encode()
    event = make_v1_event(
        method="POST", path="/v1/%70roduct", headers=_json_headers(account), body=body
    )
    event["requestContext"].update(path="/inventory/v1/%70roduct", domainName="api.example.com")
    response = api.invoke(event)
    assert response.headers["Location"] == f"/inventory/v1/product/{response.json['id']}"


# ---------------------------------------------------------------- HTTP API v2: named stages
# Payload 2.0 has no separate stage-less path: on the execute-api URL of a named stage,
# rawPath starts with "/<stage>" ("rawPath": "/my/path" is a $default-stage example).
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html


def _v2(
    method,
    raw_path,
    *,
    stage,
    domain="abc123.execute-api.eu-west-1.amazonaws.com",
    headers=None,
    body=b"",
):
    event = make_v2_event(method=method, path=raw_path, headers=headers or Headers(), body=body)
    event["requestContext"].update(
        stage=stage, domainName=domain, domainPrefix=domain.split(".")[0]
    )
    return event


def test_http_api_named_stage_routes_and_links_with_the_stage(app):
    api = ApiClient(app, "apigw_v2")
    account = create_account(api)  # through $default
    body = json.dumps(product_payload()).encode()

    created = api.invoke(
        _v2("POST", "/prod/v1/product", stage="prod", headers=_json_headers(account), body=body)
    )
    assert created.status_code == 201, created.json
    location = created.headers["Location"]
    assert location == f"/prod/v1/product/{created.json['id']}"

    got = api.invoke(_v2("GET", location, stage="prod"))
    assert got.status_code == 200 and got.json == created.json
    assert api.invoke(_v2("GET", "/prod/healthz", stage="prod")).status_code == 200
    assert api.invoke(_v2("GET", "/prod", stage="prod")).status_code == 404
    assert api.invoke(_v2("GET", "/production/healthz", stage="prod")).status_code == 404


def test_http_api_default_stage_has_no_prefix(app):
    api = ApiClient(app, "apigw_v2")
    response = api.invoke(_v2("GET", "/healthz", stage="$default"))
    assert response.status_code == 200


def test_http_api_custom_domain_paths_are_not_stripped(app):
    # Behind a custom domain the stage is not in rawPath (nor the API mapping key):
    # a stage named like the first path segment must not be cut off.
    api = ApiClient(app, "apigw_v2")
    account = create_account(api)
    product = create_product(api, account)
    event = _v2("GET", f"/v1/product/{product['id']}", stage="v1", domain="api.example.com")
    assert api.invoke(event).status_code == 200


# ---------------------------------------------------------------- malformed events


def _valid_v1():
    return make_v1_event(method="GET", path="/healthz")


def _with(event, **changes):
    event.update(changes)
    return event


MALFORMED = {
    "list": [1, 2],
    "string": "GET /healthz",
    "null": None,
    "number": 42,
    "empty-object": {},
    "v1-no-method": {k: v for k, v in _valid_v1().items() if k != "httpMethod"},
    "v1-path-not-string": _with(_valid_v1(), path=["/healthz"]),
    "v1-headers-not-object": _with(_valid_v1(), headers="Accept: */*", multiValueHeaders=None),
    "v1-headers-list": _with(_valid_v1(), headers=["Authorization"], multiValueHeaders=None),
    "v1-request-context-string": _with(_valid_v1(), requestContext="prod"),
    "v1-multi-value-header-not-list": _with(_valid_v1(), multiValueHeaders={"Accept": "*/*"}),
    "v1-body-not-string": _with(_valid_v1(), body=123, isBase64Encoded=False),
    "v1-invalid-base64-body": _with(
        _valid_v1(), httpMethod="POST", body="not base64!", isBase64Encoded=True
    ),
    "v1-truncated-base64-body": _with(
        _valid_v1(), httpMethod="POST", body="eyJh", isBase64Encoded=True
    ),
    "v1-query-not-object": _with(_valid_v1(), multiValueQueryStringParameters=["a"]),
    "unknown-version": _with(_valid_v1(), version="3.0"),
    "v2-no-http-context": _with(make_v2_event(method="GET", path="/healthz"), requestContext={}),
    "v2-cookies-string": _with(make_v2_event(method="GET", path="/healthz"), cookies="a=b"),
    "v2-invalid-base64-body": _with(
        make_v2_event(method="POST", path="/healthz"), body="eyJhIj", isBase64Encoded=True
    ),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_events_are_400_problems_not_exceptions(app, name):
    # An exception would make API Gateway answer 502 "Internal server error".
    api = ApiClient(app, "apigw_v1")
    event = json.loads(json.dumps(MALFORMED[name]))  # a fresh copy
    if name == "v1-truncated-base64-body":
        event["body"] = "eyJhIj"  # 6 characters: not a whole number of base64 quanta
    response = api.invoke(event)
    assert response.status_code == 400
    assert response.content_type == PROBLEM
    assert response.json["status"] == 400 and response.json["title"] == "Bad Request"


def test_the_deployed_handler_answers_malformed_events(tmp_path):
    # service.lambda_handler.handler itself, imported the way Lambda imports it.
    url = f"sqlite:///{tmp_path / 'handler.db'}"
    migrate_to_head(url)
    script = (
        "import json; from service.lambda_handler import handler;"
        "print(json.dumps([handler(e, None) for e in ([1], {'body': 'x', 'isBase64Encoded': True,"
        " 'httpMethod': 'POST', 'path': '/v1/user'}, {'requestContext': 'x', 'path': '/healthz',"
        " 'httpMethod': 'GET'})]))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        env={**os.environ, "DATABASE_URL": url, "IMAGES_DIR": str(tmp_path / "img")},
        timeout=60,
    )
    results = json.loads(completed.stdout.strip().splitlines()[-1])
    assert [r["statusCode"] for r in results] == [400, 400, 400]


# ---------------------------------------------------------------- response details


def test_204_responses_carry_no_content_type(api, product, owner):
    patched = api.patch(f"/v1/product/{product['id']}", json={"quantity": 3}, headers=owner.auth)
    deleted = api.delete(f"/v1/product/{product['id']}", headers=owner.auth)
    for response in (patched, deleted):
        assert response.status_code == 204
        assert "Content-Type" not in response.headers
        assert response.data == b""


@pytest.mark.parametrize("path", ["/v1//product/{id}", "/v1/product//{id}"])
def test_doubled_slashes_are_404_problems_not_html_redirects(api, product, path):
    response = api.get(path.format(id=product["id"]))
    assert response.status_code == 404
    assert response.content_type == PROBLEM
    assert b"<" not in response.data
