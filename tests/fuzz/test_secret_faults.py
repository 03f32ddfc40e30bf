"""Secrets Manager failures and rotations under load, against MariaDB and moto's Secrets
Manager, with the API configured as on AWS (DB_SECRET_ARN, no password anywhere else)."""

from __future__ import annotations

import threading
import time

import pytest

from service import create_app
from service.extensions import db
from service.jobs import migrate
from tests.factories import create_account, create_product, user_payload
from tests.fuzz import faults
from tests.transport import ApiClient

PROBLEM = "application/problem+json"


def _app(tmp_path, **overrides):
    config = {"TESTING": True, "BCRYPT_ROUNDS": 4, "IMAGES_DIR": str(tmp_path / "img"),
              "SECRET_KEY": "test", **overrides}  # fmt: skip
    return create_app(config)


def _dispose(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _rotate(client, arn):
    """One full rotation, the four steps as Secrets Manager calls them (tests.support)."""
    client.rotate(arn)


@pytest.fixture
def migrated(cluster):
    """The migration job has run: schema, app user and its first password exist."""
    assert migrate.handler({"action": "upgrade", "revision": "head"}, None)["ok"] is True
    return cluster


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
    _dispose(app)


def test_rotation_then_unreadable_secret_is_503_until_it_is_readable(
    migrated, rotation_client, tmp_path
):
    # GIVEN a warm container holding the first credentials
    app = _app(tmp_path)
    api = ApiClient(app, "apigw_v1")
    owner = create_account(api)
    assert api.get(f"/v1/user/{owner.id}", headers=owner.auth).status_code == 200
    # WHEN two rotations change the password it holds and its connection goes away
    _rotate(rotation_client, migrated.app_arn)
    _rotate(rotation_client, migrated.app_arn)
    _dispose(app)
    secrets = app.extensions["db_secrets"]
    # THEN with the secret unreadable the refused login cannot be repaired: 503
    with faults.aws_errors(secrets.client, "secretsmanager.GetSecretValue", status=400,
                           code="AccessDeniedException"):  # fmt: skip
        _assert_unavailable(api.get(f"/v1/user/{owner.id}", headers=owner.auth))
    # AND once it is readable the 1045 retry picks up the new password
    assert api.get(f"/v1/user/{owner.id}", headers=owner.auth).status_code == 200
    assert app.extensions["db_credentials"].refreshes >= 1
    _dispose(app)


def test_rotations_under_load_cost_no_failed_request(migrated, rotation_client, tmp_path):
    # GIVEN three warm containers: one keeps its connection, two reconnect on every
    # request (pool_recycle 0), so that logins happen throughout the rotations
    containers = [_app(tmp_path / str(n), DB_POOL_RECYCLE=recycle)
                  for n, recycle in enumerate((280, 0, 0))]  # fmt: skip
    setup = ApiClient(containers[0], "apigw_v1")
    owner = create_account(setup)
    product = create_product(setup, owner)
    statuses: list[tuple[int, str, int]] = []
    stop = threading.Event()

    def serve(n, app):
        api = ApiClient(app, "apigw_v1")
        i = 0
        while not stop.is_set():
            i += 1
            for method, url, body in (
                ("GET", f"/v1/user/{owner.id}", None),
                ("PATCH", f"/v1/product/{product['id']}", {"quantity": i % 100}),
                ("GET", "/healthz", None),
            ):
                response = api.request(method, url, json=body, headers=owner.auth)
                statuses.append((n, f"{method} {url}", response.status_code))

    threads = [threading.Thread(target=serve, args=(n, app)) for n, app in enumerate(containers)]
    for thread in threads:
        thread.start()
    try:
        # WHEN the secret is rotated twice while they serve
        for _ in range(2):
            time.sleep(0.5)
            _rotate(rotation_client, migrated.app_arn)
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    # THEN every request succeeded, and the reconnecting containers did re-read the secret
    failed = [s for s in statuses if s[2] >= 300]
    assert failed == [], failed[:10]
    assert len(statuses) >= 100
    assert sum(app.extensions["db_credentials"].refreshes for app in containers[1:]) >= 1
    assert migrated.app_secret()["username"] == migrated.app_user  # back to the first user
    for app in containers:
        _dispose(app)
