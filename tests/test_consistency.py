"""Failures of S3 or the database never leave a row pointing at a missing object."""

from __future__ import annotations

import io
import logging

import boto3
import pytest
from botocore.exceptions import ClientError
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from service.extensions import db
from service.models import ProductImage
from tests import images


@pytest.fixture
def storage_backend():
    return "s3"


def _objects(bucket):
    return [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]


def _rows(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ProductImage))


def _upload(api, product, owner):
    files = {"image": (io.BytesIO(images.png()), "a.png")}
    return api.post(f"/v1/product/{product['id']}/image", data=files, headers=owner.auth)


def _fail_client_call(app, monkeypatch, operation):
    client = app.extensions["image_store"].client

    def fail(**kwargs):
        raise ClientError({"Error": {"Code": "InternalError", "Message": "boom"}}, operation)

    monkeypatch.setattr(client, operation, fail)


def test_failed_row_insert_removes_the_object(api, app, owner, product, monkeypatch):
    # GIVEN the database fails when the image row is inserted
    real_flush = db.session.flush

    def flush_fails_for_images(*args, **kwargs):
        if any(isinstance(obj, ProductImage) for obj in db.session.new):
            db.session.rollback()
            raise OperationalError("INSERT", {}, Exception("Lost connection to MySQL server"))
        real_flush(*args, **kwargs)

    with app.app_context():
        monkeypatch.setattr(db.session, "flush", flush_fails_for_images)
        # WHEN an image is uploaded
        response = _upload(api, product, owner)
    # THEN the client sees 503 and neither an object nor a row is left
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert _objects(app.config["IMAGES_BUCKET"]) == []
    assert _rows(app) == 0


def test_failed_commit_keeps_the_object_and_logs_it(api, app, owner, product, monkeypatch, caplog):
    # GIVEN the COMMIT of the image row fails: its outcome is unknown (a lost reply)
    def commit_fails():
        db.session.rollback()
        raise OperationalError("COMMIT", {}, Exception("Lost connection to MySQL server"))

    with app.app_context(), caplog.at_level(logging.ERROR, logger="service.api.commits"):
        monkeypatch.setattr(db.session, "commit", commit_fails)
        response = _upload(api, product, owner)
    # THEN 503, and the object stays (a committed row may point at it), logged by key
    assert response.status_code == 503
    keys = _objects(app.config["IMAGES_BUCKET"])
    assert len(keys) == 1
    assert [r.object_key for r in caplog.records if r.name == "service.api.commits"] == keys


def test_failed_object_put_is_503_and_writes_no_row(api, app, owner, product, monkeypatch):
    _fail_client_call(app, monkeypatch, "put_object")
    response = _upload(api, product, owner)
    assert response.status_code == 503
    assert response.json["detail"] == "The image store is unavailable; try again shortly."
    assert _rows(app) == 0


def test_failed_object_delete_still_deletes_the_row_and_logs_the_orphan(
    api, app, owner, product, monkeypatch, caplog
):
    image = _upload(api, product, owner).json
    _fail_client_call(app, monkeypatch, "delete_object")
    with caplog.at_level(logging.ERROR, logger="service.storage"):
        response = api.delete(
            f"/v1/product/{product['id']}/image/{image['image_id']}", headers=owner.auth
        )
    assert response.status_code == 204
    assert _rows(app) == 0
    assert len(_objects(app.config["IMAGES_BUCKET"])) == 1  # the orphan, logged:
    orphans = [r.object_key for r in caplog.records if r.name == "service.storage"]
    assert orphans == [image["s3_bucket_path"].split("/", 3)[3]]


def test_failed_product_delete_keeps_rows_and_objects(api, app, owner, product, monkeypatch):
    _upload(api, product, owner)

    def fail():
        db.session.rollback()
        raise OperationalError("DELETE", {}, Exception("Lost connection to MySQL server"))

    with app.app_context():
        monkeypatch.setattr(db.session, "commit", fail)
        response = api.delete(f"/v1/product/{product['id']}", headers=owner.auth)
    assert response.status_code == 503
    assert _rows(app) == 1
    assert len(_objects(app.config["IMAGES_BUCKET"])) == 1


def test_failed_object_deletes_on_product_delete_leave_no_rows(
    api, app, owner, product, monkeypatch
):
    for _ in range(2):
        _upload(api, product, owner)
    _fail_client_call(app, monkeypatch, "delete_object")
    assert api.delete(f"/v1/product/{product['id']}", headers=owner.auth).status_code == 204
    assert _rows(app) == 0
    assert api.get(f"/v1/product/{product['id']}").status_code == 404
