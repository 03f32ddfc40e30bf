"""A schemathesis smoke over HTTP: ``python -m deploy serve`` (the real handler behind the
local API Gateway, stage ``prod``) on the embedded default (SQLite, local images).

A few generated cases per operation, with valid credentials, all checks on every
response: the HTTP layer (the local gateway's request and response mapping) keeps the
document's promises. The thorough run, on both databases through the Lambda handler,
is tests/test_schemathesis.py.
"""

from __future__ import annotations

import json

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, seed, settings

from service.openapi import openapi_document
from tests.support.factories import PASSWORD, product_payload, user_payload
from tests.support.fuzzing import FUZZ_SEED, register_formats, validate

pytestmark = pytest.mark.slow  # a server process and real HTTP

register_formats()
# Generated from the document in-process (schemathesis' lazy fixture loading does not
# work with pytest 9); test_the_served_document_is_the_one_fuzzed checks it is the same.
schema = schemathesis.openapi.from_dict(openapi_document())

# API Gateway REST accepts DELETE, GET, HEAD, OPTIONS, PATCH, POST and PUT (what ANY
# covers) and answers any other method (TRACE, QUERY, ...) itself: those never reach the
# function. The local gateway answers them with http.server's 501 page; the app's 405 for
# undeclared methods is checked through the handler (tests/test_schemathesis.py, tests/api).
GATEWAY_METHODS = {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}


@pytest.fixture(scope="module")
def served(gateway):
    """deploy serve on the embedded default (tests/conftest.py's gateway)."""
    return gateway.url


@pytest.fixture(scope="module")
def http_session():
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="module")
def authorization(served, http_session):
    """A user owning a product, created over HTTP, so generated ids sometimes exist."""
    payload = user_payload(password=PASSWORD)
    response = http_session.post(f"{served}/v1/user", json=payload, timeout=10)
    assert response.status_code == 201, response.text
    auth = (payload["username"], PASSWORD)
    created = http_session.post(
        f"{served}/v1/product", json=product_payload(), auth=auth, timeout=10
    )
    assert created.status_code == 201, created.text
    return requests.auth._basic_auth_str(*auth)


@schema.parametrize()
@seed(FUZZ_SEED)
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_lambda_path_over_http_conforms(case, served, authorization, http_session):
    if case.method.upper() not in GATEWAY_METHODS:
        return
    headers = dict(case.headers or {})
    if case.operation.definition.raw.get("security"):
        headers["Authorization"] = authorization
    response = case.call(base_url=served, session=http_session, headers=headers, timeout=30)
    validate(case, response)


def test_the_served_document_is_the_one_fuzzed(served, http_session):
    response = http_session.get(f"{served}/v1/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.json() == json.loads(json.dumps(openapi_document()))
