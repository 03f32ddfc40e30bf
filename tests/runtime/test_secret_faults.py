"""Secrets Manager failures, against MariaDB and moto's Secrets Manager, with the API
configured as on AWS (DB_SECRET_ARN, no password anywhere else). Rotations under load:
tests/runtime/test_rotation_load.py."""

from __future__ import annotations

import pytest

from tests.support import faults
from tests.support.apps import aws_app, dispose
from tests.support.factories import create_account, user_payload
from tests.support.transport import ApiClient

PROBLEM = "application/problem+json"


def _app(tmp_path):
    return aws_app(tmp_path, TESTING=True)


def _assert_unavailable(response):
    assert response.status_code == 503, response.data[:300]
    assert response.content_type == PROBLEM
    assert response.headers["Retry-After"] == "5"


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, "AccessDeniedException"), (400, "DecryptionFailure"), (400, "ThrottlingException"),
     (500, "InternalServiceError"), (400, "ResourceNotFoundException")],
)  # fmt: skip
def test_unreadable_secret_on_a_cold_container_is_503_then_recovers(
    migrated, tmp_path, status, code
):
    app = _app(tmp_path)
    api = ApiClient(app, "apigw_v1")
    secrets = app.extensions["db_secrets"]
    with faults.aws_errors(secrets.client, "secretsmanager.GetSecretValue", status=status,
                           code=code) as failures:  # fmt: skip
        _assert_unavailable(api.get("/healthz"))
        _assert_unavailable(api.post("/v1/user", json=user_payload()))
    assert failures[0] >= 1
    assert api.get("/healthz").status_code == 200  # the next request reads it and connects
    dispose(app)


def test_rotation_then_unreadable_secret_is_503_until_it_is_readable(
    migrated, rotation_client, tmp_path
):
    # GIVEN a warm container holding the first credentials
    app = _app(tmp_path)
    api = ApiClient(app, "apigw_v1")
    owner = create_account(api)
    assert api.get(f"/v1/user/{owner.id}", headers=owner.auth).status_code == 200
    # WHEN two rotations change the password it holds and its connection goes away
    rotation_client.rotate(migrated.app_arn)
    rotation_client.rotate(migrated.app_arn)
    dispose(app)
    secrets = app.extensions["db_secrets"]
    # THEN with the secret unreadable the refused login cannot be repaired: 503
    with faults.aws_errors(secrets.client, "secretsmanager.GetSecretValue", status=400,
                           code="AccessDeniedException"):  # fmt: skip
        _assert_unavailable(api.get(f"/v1/user/{owner.id}", headers=owner.auth))
    # AND once it is readable the 1045 retry picks up the new password
    assert api.get(f"/v1/user/{owner.id}", headers=owner.auth).status_code == 200
    assert app.extensions["db_credentials"].refreshes >= 1
    dispose(app)
