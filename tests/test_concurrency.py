"""Unique usernames and SKUs hold under concurrent requests on MariaDB/MySQL.

The unique index decides, not a check-then-insert; SQLite serialises writers,
so this module runs on the server database only.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from tests.support.databases import migrate_to_head, mysql_url
from tests.support.factories import create_account, product_payload, user_payload
from tests.support.transport import ApiClient

THREADS = 8


@pytest.fixture(scope="module")
def database_url(mysql_database):
    url = mysql_url(mysql_database())
    migrate_to_head(url)
    return url


def _race(app, send):
    """Run ``send(client, i)`` in threads released together; count the statuses."""
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(i):
        client = ApiClient(app, "apigw_v1")  # one Lambda container per thread
        barrier.wait()
        status = send(client, i).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(statuses)


def test_parallel_creates_of_one_username_yield_one_user(app):
    payload = user_payload()

    def send(client, i):
        # Half of them in upper case: uniqueness is case-insensitive.
        username = payload["username"].upper() if i % 2 else payload["username"]
        return client.post("/v1/user", json={**payload, "username": username})

    assert _race(app, send) == Counter({201: 1, 409: THREADS - 1})


def test_parallel_creates_of_one_sku_yield_one_product(app):
    account = create_account(ApiClient(app, "flask"))
    payload = product_payload()

    def send(client, i):
        sku = payload["sku"].lower() if i % 2 else payload["sku"]
        return client.post("/v1/product", json={**payload, "sku": sku}, headers=account.auth)

    assert _race(app, send) == Counter({201: 1, 409: THREADS - 1})


def test_parallel_updates_to_one_sku_leave_one_winner(app):
    account = create_account(ApiClient(app, "flask"))
    client = ApiClient(app, "flask")
    ids = [
        client.post("/v1/product", json=product_payload(), headers=account.auth).json["id"]
        for _ in range(THREADS)
    ]
    target = product_payload()

    def send(api, i):
        return api.patch(f"/v1/product/{ids[i]}", json={"sku": target["sku"]}, headers=account.auth)

    assert _race(app, send) == Counter({204: 1, 409: THREADS - 1})
