"""schemathesis against the Lambda path over HTTP: ``python -m deploy serve`` (the real
handler behind a local API Gateway, stage ``prod``) on MariaDB with S3 in a moto server.

Every operation of the served OpenAPI document, with valid credentials and with
generated ones; all checks on every response (no 5xx, documented status codes, headers
and content types, bodies matching the schemas, invalid data rejected). At least 1,000
generated cases in total; the seed is fixed and printed in the report header.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, seed, settings
from moto.server import ThreadedMotoServer

from service.openapi import openapi_document
from tests.conftest import migrate_to_head, mysql_url
from tests.deploy.conftest import serve_process
from tests.factories import PASSWORD, product_payload, user_payload
from tests.fuzz.conftest import FUZZ_SEED
from tests.schemathesis_support import register_formats, validate

register_formats()
EXAMPLES = 45  # per operation and credential mode: 12 operations with inputs x 2 x 45
CASES: Counter[tuple[str, bool]] = Counter()
BUCKET = "fuzz-images"


@pytest.fixture(scope="module")
def served(mysql_database, tmp_path_factory):
    """deploy serve on a migrated MariaDB database, images in a moto S3 server."""
    database = mysql_url(mysql_database("test_fuzz"))
    migrate_to_head(database)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    moto.start()
    host, port = moto.get_host_and_port()
    aws = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_SESSION_TOKEN": "testing", "AWS_REGION": "eu-west-1",
           "AWS_DEFAULT_REGION": "eu-west-1",
           "AWS_ENDPOINT_URL": f"http://{host}:{port}"}  # fmt: skip
    import boto3

    boto3.client("s3", region_name="eu-west-1", endpoint_url=aws["AWS_ENDPOINT_URL"],
                 aws_access_key_id="testing", aws_secret_access_key="testing").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )  # fmt: skip
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **aws,
           "DATABASE_URL": database, "IMAGES_BUCKET": BUCKET, "BCRYPT_ROUNDS": "4",
           "LOG_LEVEL": "WARNING"}  # fmt: skip
    try:
        with serve_process("--stage", "prod", env=env, python=sys.executable) as process:
            yield process.url
    finally:
        moto.stop()


@pytest.fixture(scope="module")
def account(served):
    """A user owning a product, created over HTTP, so generated ids sometimes exist."""
    payload = user_payload(password=PASSWORD)
    response = requests.post(f"{served}/v1/user", json=payload, timeout=10)
    assert response.status_code == 201, response.text
    auth = (payload["username"], PASSWORD)
    product = requests.post(f"{served}/v1/product", json=product_payload(), auth=auth, timeout=10)
    assert product.status_code == 201, product.text
    return requests.auth._basic_auth_str(*auth)


@pytest.fixture(scope="module")
def http_session():
    with requests.Session() as session:
        yield session


# Generated from the document in-process (schemathesis' lazy fixture loading does not
# work with pytest 9); test_the_served_document_is_the_one_fuzzed checks it is the same.
schema = schemathesis.openapi.from_dict(openapi_document())


# API Gateway REST accepts DELETE, GET, HEAD, OPTIONS, PATCH, POST and PUT (what ANY
# covers) and answers any other method (TRACE, QUERY, ...) itself: those never reach the
# function. The local gateway answers them with http.server's 501 page; the app's 405 for
# undeclared methods is checked through the handler (tests/test_schemathesis.py, tests/api).
GATEWAY_METHODS = {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}


def _check(case, served, session, authorization):
    if case.method.upper() not in GATEWAY_METHODS:
        return
    headers = dict(case.headers or {})
    if authorization and case.operation.definition.raw.get("security"):
        headers["Authorization"] = authorization
    CASES[(case.operation.label, bool(authorization))] += 1
    response = case.call(base_url=served, session=session, headers=headers, timeout=30)
    # The exclusions of tests/test_schemathesis.py: image uploads' positive data
    # acceptance, and negative-mode "invalid" passwords that are in fact valid.
    validate(case, response)


@schema.parametrize()
@seed(FUZZ_SEED)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_lambda_path_conforms_with_valid_credentials(case, served, account, http_session):
    _check(case, served, http_session, account)


@schema.parametrize()
@seed(FUZZ_SEED)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_lambda_path_conforms_with_generated_credentials(case, served, http_session):
    _check(case, served, http_session, None)


def test_the_served_document_is_the_one_fuzzed(served, http_session):
    response = http_session.get(f"{served}/v1/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.json() == json.loads(json.dumps(openapi_document()))


def test_enough_cases_were_generated():
    if not CASES:
        pytest.skip("run together with the two tests above")
    operations = {op.ok().label for op in schema.get_all_operations()}
    print(f"\nschemathesis over HTTP, seed {FUZZ_SEED}: {sum(CASES.values())} cases")
    for (label, authenticated), count in sorted(CASES.items()):
        print(f"  {label:45} {'auth' if authenticated else 'generated-auth':15} {count}")
    assert {label for label, _ in CASES} == operations
    assert sum(CASES.values()) >= 1000
