"""Rotations under load: warm containers keep serving while the password changes under them."""

from __future__ import annotations

import threading
import time
from collections import Counter

from service.jobs import migrate
from tests.factories import create_account, create_product
from tests.runtime.test_db_credentials import aws_app
from tests.runtime.test_rotation import rotate_fully
from tests.transport import ApiClient

CONTAINERS = 4
REQUESTS_PER_CONTAINER = 600
ROTATIONS = 4


def test_rotations_under_load_fail_no_request(cluster, rotation_client, tmp_path, capsys):
    migrate.handler({"action": "upgrade"}, None)
    # Recycling pooled connections every 50 ms makes every container open many
    # new connections, so cached credentials meet each rotation's new passwords.
    apps = [aws_app(tmp_path, DB_POOL_RECYCLE=0.05) for _ in range(CONTAINERS)]
    seed = ApiClient(apps[0], "apigw_v1")
    owner = create_account(seed)
    product = create_product(seed, owner)
    paths = [
        ("/healthz", {}),
        (f"/v1/product/{product['id']}", {}),
        (f"/v1/user/{owner.id}", owner.auth),
    ]
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    done = threading.Event()

    def container(app):
        api = ApiClient(app, "apigw_v1")
        local: Counter[int] = Counter()
        i = 0
        # Serve until every rotation is over (so all of them happen under load).
        while i < REQUESTS_PER_CONTAINER or not done.is_set():
            path, headers = paths[i % len(paths)]
            local[api.get(path, headers=headers).status_code] += 1
            i += 1
        with lock:
            statuses.update(local)

    threads = [threading.Thread(target=container, args=(app,)) for app in apps]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    rotations = 0
    while rotations < ROTATIONS:
        time.sleep(0.2)
        rotate_fully(rotation_client, cluster)
        rotations += 1
    done.set()
    for thread in threads:
        thread.join(timeout=300)
    elapsed = time.perf_counter() - started
    refreshes = sum(app.extensions["db_credentials"].refreshes for app in apps)
    total = sum(statuses.values())
    with capsys.disabled():
        print(
            f"\nrotation under load: {total} requests from {CONTAINERS} containers in "
            f"{elapsed:.1f} s, {rotations} rotations, {refreshes} credential re-reads after "
            f"access denied, statuses {dict(statuses)}"
        )
    assert total >= CONTAINERS * REQUESTS_PER_CONTAINER >= 2000
    assert statuses == Counter({200: total})
    assert rotations >= 3
    assert refreshes >= 1  # the retry path was exercised, not just the cache
