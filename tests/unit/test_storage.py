"""Both image stores behind the same interface."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from flask import Flask

from service.storage import LocalImageStore, S3ImageStore, StorageError


def test_s3_store_puts_deletes_and_presigns(images_bucket):
    store = S3ImageStore(images_bucket, expires=120)
    store.put("1/2/abc.png", b"bytes", "image/png")
    s3 = boto3.client("s3")
    stored = s3.get_object(Bucket=images_bucket, Key="1/2/abc.png")
    assert stored["Body"].read() == b"bytes" and stored["ContentType"] == "image/png"
    assert store.location("1/2/abc.png") == f"s3://{images_bucket}/1/2/abc.png"
    url = urlsplit(store.download_url("1/2/abc.png"))
    assert url.path.endswith("/1/2/abc.png")
    query = parse_qs(url.query)
    assert query["X-Amz-Expires"] == ["120"] and query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    store.delete("1/2/abc.png")
    assert s3.list_objects_v2(Bucket=images_bucket).get("KeyCount") == 0


def test_s3_errors_become_storage_errors(aws):
    store = S3ImageStore("no-such-bucket", expires=60)
    with pytest.raises(StorageError, match=r"put 1/x\.png"):
        store.put("1/x.png", b"x", "image/png")


def test_local_store_round_trip(tmp_path):
    store = LocalImageStore(tmp_path, "key", expires=60)
    store.put("1/2/a.png", b"data", "image/png")
    assert (tmp_path / "1/2/a.png").read_bytes() == b"data"
    assert [p.name for p in (tmp_path / "1/2").iterdir()] == ["a.png"]  # no temp files left
    store.delete("1/2/a.png")
    store.delete("1/2/a.png")  # deleting twice is fine, like S3
    assert not (tmp_path / "1/2/a.png").exists()


def test_local_store_refuses_keys_outside_its_folder(tmp_path):
    store = LocalImageStore(tmp_path / "images", "key", expires=60)
    with pytest.raises(StorageError, match="escapes"):
        store.put("../outside.png", b"x", "image/png")


def test_local_download_tokens_are_signed_and_expire(tmp_path, monkeypatch):
    store = LocalImageStore(tmp_path, "key", expires=60)
    app = Flask(__name__)
    app.add_url_rule("/local-images/<token>", "local_images.download_image")
    with app.test_request_context():
        url = store.download_url("1/2/a.png")
    token = url.rsplit("/", 1)[1]
    assert store.key_for_token(token) == "1/2/a.png"
    assert store.key_for_token(token[:-2] + "xx") is None
    assert LocalImageStore(tmp_path, "other-key", 60).key_for_token(token) is None
    assert LocalImageStore(tmp_path, "key", expires=-1).key_for_token(token) is None
