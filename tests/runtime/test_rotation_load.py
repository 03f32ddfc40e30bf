"""Rotations under load: warm containers keep serving reads and writes while the password
changes under them, on MariaDB with the secret in moto (configured as on AWS)."""

from __future__ import annotations

import threading
from collections import Counter

from tests.support.apps import aws_app, dispose
from tests.support.factories import create_account, create_product
from tests.support.transport import ApiClient

ROTATIONS = 4  # an even number: the secret ends on the first user again
REQUESTS_BETWEEN_ROTATIONS = 150  # served by all containers together before each rotation
# One container keeps its connection; three reconnect on every request (pool_recycle 0),
# so that logins with cached credentials meet every rotation's new password.
POOL_RECYCLE = (280, 0, 0, 0)


def test_rotations_under_load_fail_no_request(migrated, rotation_client, tmp_path):
    # GIVEN warm containers serving a user and a product
    containers = [
        aws_app(tmp_path / str(n), TESTING=True, DB_POOL_RECYCLE=recycle)
        for n, recycle in enumerate(POOL_RECYCLE)
    ]
    setup = ApiClient(containers[0], "apigw_v1")
    owner = create_account(setup)
    product = create_product(setup, owner)
    requests = [
        ("GET", "/healthz", None),
        ("GET", f"/v1/product/{product['id']}", None),
        ("GET", f"/v1/user/{owner.id}", None),
        ("PATCH", f"/v1/product/{product['id']}", "quantity"),
    ]
    statuses: Counter[tuple[str, int]] = Counter()
    served = threading.Condition()
    done = threading.Event()

    def serve(app):
        api = ApiClient(app, "apigw_v1")
        i = 0
        while not done.is_set():
            method, url, body = requests[i % len(requests)]
            json = {"quantity": i % 100} if body else None
            response = api.request(method, url, json=json, headers=owner.auth)
            with served:
                statuses[(f"{method} {url}", response.status_code)] += 1
                served.notify_all()
            i += 1

    def total():
        return sum(statuses.values())

    def wait_for_more_requests():
        with served:
            target = total() + REQUESTS_BETWEEN_ROTATIONS
            assert served.wait_for(lambda: total() >= target, timeout=120), dict(statuses)

    threads = [threading.Thread(target=serve, args=(app,)) for app in containers]
    for thread in threads:
        thread.start()
    try:
        # WHEN the secret is rotated again and again while they serve (each rotation
        # waits for the containers to have served more requests: no timing involved)
        for _ in range(ROTATIONS):
            wait_for_more_requests()
            rotation_client.rotate(migrated.app_arn)
        wait_for_more_requests()
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=60)
    # THEN every request succeeded, reads and writes alike
    failed = {key: n for key, n in statuses.items() if key[1] >= 300}
    assert failed == {}, dict(statuses)
    assert total() >= (ROTATIONS + 1) * REQUESTS_BETWEEN_ROTATIONS
    # AND the reconnecting containers did meet a changed password and re-read the secret
    assert sum(app.extensions["db_credentials"].refreshes for app in containers[1:]) >= 1
    assert migrated.app_secret()["username"] == migrated.app_user  # back to the first user
    for app in containers:
        dispose(app)
