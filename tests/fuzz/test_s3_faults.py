"""S3 failing under the image routes, on both databases and both transports: each request
ends in a clean 503 or a success, no row points at a missing object, every orphaned object
is logged by its key, and the next request after the fault succeeds.

The faults are S3's own error responses injected at botocore's send step, so they go
through botocore's parsing and retries like real ones (tests/support/faults.py). The
database failing under the same routes: tests/fuzz/test_database_faults.py.
"""

from __future__ import annotations

import io
import logging

import pytest

from tests.support import faults, images

PROBLEM = "application/problem+json"


@pytest.fixture
def storage_backend():
    return "s3"


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO, logger="service")
    return caplog


def _s3(app):
    return app.extensions["image_store"].client


def _upload(api, product, owner, name="a.png"):
    files = {"image": (io.BytesIO(images.png()), name)}
    return api.post(f"/v1/product/{product['id']}/image", data=files, headers=owner.auth)


def _assert_restored(api, product, owner):
    assert _upload(api, product, owner, "after.png").status_code == 201
    assert api.get(f"/v1/product/{product['id']}").status_code == 200


def test_put_failing_once_is_retried_by_botocore(app, api, owner, product, log):
    with faults.aws_errors(_s3(app), "s3.PutObject", status=500, times=1) as failures:
        response = _upload(api, product, owner)
    assert failures == [1]
    assert response.status_code == 201
    assert faults.row_keys(app) == faults.object_keys(app.config["IMAGES_BUCKET"])
    faults.assert_consistent(app, app.config["IMAGES_BUCKET"], log)


@pytest.mark.parametrize(
    ("status", "code"), [(500, "InternalError"), (503, "SlowDown"), (403, "AccessDenied")]
)
def test_put_failing_is_503_and_stores_nothing(app, api, owner, product, log, status, code):
    with faults.aws_errors(_s3(app), "s3.PutObject", status=status, code=code):
        response = _upload(api, product, owner)
    assert response.status_code == 503, response.data[:300]
    assert response.content_type == PROBLEM
    assert response.headers["Retry-After"] == "5"
    assert response.json["detail"] == "The image store is unavailable; try again shortly."
    assert faults.row_keys(app) == set()
    assert faults.object_keys(app.config["IMAGES_BUCKET"]) == set()
    _assert_restored(api, product, owner)
    faults.assert_consistent(app, app.config["IMAGES_BUCKET"], log)


def test_delete_failing_still_deletes_the_row_and_logs_the_orphan(app, api, owner, product, log):
    image = _upload(api, product, owner).json
    url = f"/v1/product/{product['id']}/image/{image['image_id']}"
    with faults.aws_errors(_s3(app), "s3.DeleteObject", status=500):
        assert api.delete(url, headers=owner.auth).status_code == 204
    assert faults.row_keys(app) == set()
    orphan = image["s3_bucket_path"].split("/", 3)[3]
    assert faults.object_keys(app.config["IMAGES_BUCKET"]) == {orphan}
    assert faults.logged_keys(log) == {orphan}
    assert api.get(url, headers=owner.auth).status_code == 404
    _assert_restored(api, product, owner)


def test_deletes_failing_on_product_delete_log_every_orphan(app, api, owner, product, log):
    for n in range(3):
        assert _upload(api, product, owner, f"{n}.png").status_code == 201
    with faults.aws_errors(_s3(app), "s3.DeleteObject", status=403, code="AccessDenied"):
        assert api.delete(f"/v1/product/{product['id']}", headers=owner.auth).status_code == 204
    assert faults.row_keys(app) == set()
    assert len(faults.object_keys(app.config["IMAGES_BUCKET"])) == 3
    assert api.get(f"/v1/product/{product['id']}").status_code == 404
    faults.assert_consistent(app, app.config["IMAGES_BUCKET"], log)
