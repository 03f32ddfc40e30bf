"""Property-based API tests generated from our own OpenAPI document, in-process.

Every operation is exercised with generated valid and invalid input on both databases,
through the Lambda handler with API Gateway REST events (the production path; the Flask
test client path is the one tests/api checks case by case), with valid credentials and
with generated (mostly wrong) ones. All of schemathesis' checks run on every response:
no 5xx, documented status codes, content types and headers, bodies that match the
document, invalid data rejected. The number of generated cases is printed at the end of
the run; the seed is printed in the header (FUZZ_SEED changes it). The same checks over
HTTP through `python -m deploy serve`: tests/fuzz/test_schemathesis_http.py.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, seed, settings

from service.openapi import openapi_document
from tests.support.factories import create_account, create_product
from tests.support.fuzzing import CASES_PROPERTY, FUZZ_SEED, call, register_formats, validate
from tests.support.transport import ApiClient

register_formats()
schema = schemathesis.openapi.from_dict(openapi_document())
EXAMPLES = 30  # per operation, database and credential mode


@pytest.fixture
def storage_backend():
    return "s3"  # images in moto's S3, as on AWS


@pytest.fixture
def lambda_api(app):
    return ApiClient(app, "apigw_v1")


@pytest.fixture
def account(lambda_api):
    """A user owning one product, so generated ids sometimes hit real resources."""
    owner = create_account(lambda_api)
    create_product(lambda_api, owner)
    return owner


@pytest.fixture
def cases(record_property):
    """Counts the cases hypothesis generates for one test (one operation)."""
    count = [0]
    yield count
    record_property(CASES_PROPERTY, count[0])


@pytest.mark.parametrize("authenticated", [True, False], ids=["valid-auth", "generated-auth"])
@schema.parametrize()
@seed(FUZZ_SEED)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case, lambda_api, account, authenticated, cases):
    headers = dict(case.headers or {})
    if authenticated and case.operation.definition.raw.get("security"):
        headers["Authorization"] = account.auth["Authorization"]
    cases[0] += 1
    validate(case, call(case, lambda_api, headers))
