"""Deleting a product while its images are being uploaded leaves no orphan and no dangling row.

Each round releases several uploads and one DELETE of the same product together
(one thread per "Lambda container"); afterwards every object in the image store
has a row and every row has an object, and every response is one a client can act
on (201 or 404 for an upload, 204 for the delete; never 500 or 503).
"""

from __future__ import annotations

import io
import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import ProductImage
from tests.support import images
from tests.support.factories import create_account, create_product
from tests.support.transport import ApiClient

UPLOADS = 4
ROUNDS = 6


def _race(app, account, product_id):
    barrier = threading.Barrier(UPLOADS + 1)
    statuses: Counter[tuple[str, int]] = Counter()
    lock = threading.Lock()

    def upload(i):
        client = ApiClient(app, "apigw_v1")
        files = {"image": (io.BytesIO(images.png(width=i + 1)), f"{i}.png")}
        barrier.wait()
        response = client.post(f"/v1/product/{product_id}/image", data=files, headers=account.auth)
        with lock:
            statuses["upload", response.status_code] += 1

    def delete():
        client = ApiClient(app, "apigw_v1")
        barrier.wait()
        response = client.delete(f"/v1/product/{product_id}", headers=account.auth)
        with lock:
            statuses["delete", response.status_code] += 1

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(UPLOADS)]
    threads.append(threading.Thread(target=delete))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def _stored_keys(app) -> set[str]:
    root = Path(app.config["IMAGES_DIR"])
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _row_keys(app) -> set[str]:
    with app.app_context():
        keys = set(db.session.scalars(select(ProductImage.object_key)))
        db.session.remove()
        return keys


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_uploads_racing_a_product_delete_leave_no_orphan(app, round_):
    # GIVEN a product that already has an image
    api = ApiClient(app, "flask")
    account = create_account(api)
    product = create_product(api, account)
    files = {"image": (io.BytesIO(images.png()), "first.png")}
    assert (
        api.post(f"/v1/product/{product['id']}/image", data=files, headers=account.auth).status_code
        == 201
    )

    # WHEN uploads race a delete of the product
    statuses = _race(app, account, product["id"])

    # THEN the delete succeeded, each upload either landed (201) or found no product (404)
    assert statuses["delete", 204] == 1
    assert sum(n for (kind, status), n in statuses.items() if kind == "upload") == UPLOADS
    assert {status for kind, status in statuses if kind == "upload"} <= {201, 404}
    # AND the product is gone with every image row, and the store holds no object
    assert api.get(f"/v1/product/{product['id']}").status_code == 404
    assert _row_keys(app) == set()
    assert _stored_keys(app) == set()
