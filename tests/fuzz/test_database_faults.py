"""The database failing on the Lambda path, on MariaDB with images in S3 (moto): dropping
mid-request (KILL) and a commit whose reply is lost. Each request ends in a clean 4xx/5xx
or a success, nothing is half written, no row points at a missing object, every orphaned
object is logged, and the next request after the fault succeeds. S3 failing under the
same routes: tests/fuzz/test_s3_faults.py; the database going away altogether (a TCP
proxy stopped or black-holed): tests/runtime/test_db_credentials.py."""

from __future__ import annotations

import io
import logging

import pytest

from service.extensions import db
from tests.support import faults, images
from tests.support.databases import migrated_mysql, mysql_app
from tests.support.factories import product_payload
from tests.support.transport import ApiClient

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def fault_db(mysql_database):
    """One migrated MariaDB database for this module (rows are deleted after each test)."""
    return migrated_mysql(mysql_database, "test_fault")


@pytest.fixture
def app(fault_db, images_bucket, tmp_path):
    yield from mysql_app(fault_db, tmp_path, IMAGES_BUCKET=images_bucket)


@pytest.fixture
def api(app):
    return ApiClient(app, "apigw_v1")


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO, logger="service")
    return caplog


def _engine(app):
    with app.app_context():
        return db.engine


def _upload(api, product, owner, name="a.png"):
    files = {"image": (io.BytesIO(images.png()), name)}
    return api.post(f"/v1/product/{product['id']}/image", data=files, headers=owner.auth)


def _assert_unavailable(response):
    assert response.status_code == 503, response.data[:300]
    assert response.content_type == PROBLEM
    assert response.headers["Retry-After"] == "5"
    assert response.json["status"] == 503


def _assert_restored(api, product, owner):
    assert api.get("/healthz").status_code == 200
    assert _upload(api, product, owner, "after.png").status_code == 201
    assert api.get(f"/v1/product/{product['id']}").status_code == 200


# ---------------------------------------------------------------- the database drops


def test_connection_killed_before_the_image_row_is_written_removes_the_object(
    app, api, owner, product, log
):
    # The INSERT never ran: the object the upload stored first is deleted again.
    with faults.kill_before(_engine(app), "INSERT INTO PRODUCT_IMAGES") as killed:
        response = _upload(api, product, owner)
    assert killed
    _assert_unavailable(response)
    assert faults.row_keys(app) == set()
    assert faults.object_keys(app.config["IMAGES_BUCKET"]) == set()
    _assert_restored(api, product, owner)
    faults.assert_consistent(app, app.config["IMAGES_BUCKET"], log)


def test_connection_killed_at_the_image_commit_keeps_the_object_and_logs_it(
    app, api, owner, product, log
):
    # The COMMIT's outcome is unknown to the service (a committed row may point at the
    # object), so the object stays and is logged by its key.
    engine = _engine(app)
    original = engine.dialect.do_commit

    def do_commit(dbapi_connection):  # COMMIT is not a cursor statement: kill at the dialect
        faults.kill(dbapi_connection.thread_id())
        original(dbapi_connection)

    engine.dialect.do_commit = do_commit
    try:
        response = _upload(api, product, owner)
    finally:
        engine.dialect.do_commit = original
    _assert_unavailable(response)
    assert faults.row_keys(app) == set()
    objects = faults.object_keys(app.config["IMAGES_BUCKET"])
    assert len(objects) == 1
    assert faults.logged_keys(log) == objects
    _assert_restored(api, product, owner)


@pytest.mark.parametrize("path", ["/v1/product/{id}", "/v1/user/{user}"])
def test_connection_killed_before_a_read_costs_no_failed_request(app, api, owner, product, path):
    # A plain read outside a transaction is retried once on a new connection
    # (service/connections.py): nothing was open on the server, so nothing is lost.
    url = path.format(id=product["id"], user=owner.id)
    before = api.get(url, headers=owner.auth)
    with faults.kill_before(_engine(app), "SELECT") as killed:
        response = api.get(url, headers=owner.auth)
    assert killed
    assert (response.status_code, response.json) == (200, before.json)


@pytest.mark.parametrize(
    ("method", "path", "prefix", "body"),
    [
        ("PATCH", "/v1/product/{id}", "UPDATE", {"quantity": 7}),
        ("DELETE", "/v1/product/{id}", "DELETE", None),
        ("POST", "/v1/product", "INSERT", "new"),
    ],
)
def test_connection_killed_mid_request_is_503_then_service_resumes(
    app, api, owner, product, log, method, path, prefix, body
):
    # GIVEN the product has an image, WHEN the write's connection is killed
    assert _upload(api, product, owner).status_code == 201
    before = api.get(f"/v1/product/{product['id']}").json
    rows, objects = faults.row_keys(app), faults.object_keys(app.config["IMAGES_BUCKET"])
    json_body = product_payload() if body == "new" else body
    url = path.format(id=product["id"], user=owner.id)
    with faults.kill_before(_engine(app), prefix) as killed:
        response = api.request(method, url, json=json_body, headers=owner.auth)
    assert killed
    # THEN 503 and nothing is half done: the product, its image row and its object stay
    _assert_unavailable(response)
    assert api.get(f"/v1/product/{product['id']}").json == before
    assert faults.row_keys(app) == rows
    assert faults.object_keys(app.config["IMAGES_BUCKET"]) == objects
    _assert_restored(api, product, owner)


def test_image_delete_killed_before_commit_keeps_row_and_object(app, api, owner, product, log):
    image = _upload(api, product, owner).json
    url = f"/v1/product/{product['id']}/image/{image['image_id']}"
    with faults.kill_before(_engine(app), "DELETE") as killed:
        _assert_unavailable(api.delete(url, headers=owner.auth))
    assert killed
    assert len(faults.row_keys(app)) == 1
    faults.assert_consistent(app, app.config["IMAGES_BUCKET"], log)
    assert api.delete(url, headers=owner.auth).status_code == 204  # the retry works


# ---------------------------------------------------------------- a commit reply is lost


def test_upload_whose_commit_reply_is_lost_leaves_no_dangling_row(app, api, owner, product, log):
    # The row is committed, but the client never hears so: removing the object now
    # would leave a row pointing at nothing.
    with faults.commit_reply_lost(_engine(app)) as hits:
        response = _upload(api, product, owner)
    assert hits
    _assert_unavailable(response)
    faults.assert_consistent(app, app.config["IMAGES_BUCKET"], log)
    _assert_restored(api, product, owner)


def test_image_delete_whose_commit_reply_is_lost_logs_the_object(app, api, owner, product, log):
    image = _upload(api, product, owner).json
    url = f"/v1/product/{product['id']}/image/{image['image_id']}"
    with faults.commit_reply_lost(_engine(app)) as hits:
        _assert_unavailable(api.delete(url, headers=owner.auth))
    assert hits
    faults.assert_consistent(app, app.config["IMAGES_BUCKET"], log)


def test_product_delete_whose_commit_reply_is_lost_logs_the_objects(app, api, owner, product, log):
    for n in range(2):
        assert _upload(api, product, owner, f"{n}.png").status_code == 201
    with faults.commit_reply_lost(_engine(app)) as hits:
        _assert_unavailable(api.delete(f"/v1/product/{product['id']}", headers=owner.auth))
    assert hits
    faults.assert_consistent(app, app.config["IMAGES_BUCKET"], log)
