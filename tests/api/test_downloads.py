"""Image downloads: served as attachments that browsers must not sniff, from S3 (presigned)
and from the local store (signed, expiring URLs that survive a restart)."""

from __future__ import annotations

import io
import logging
import threading
import urllib.request
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from flask import Flask

from service import storage
from service.storage import LocalImageStore
from tests.support import images
from tests.support.crafted_images import POLYGLOTS
from tests.support.transport import ApiClient

KEY_PATTERN = r"[0-9a-f]{32}"


@pytest.fixture(params=["local", "s3"])
def storage_backend(request):
    return request.param


def _upload(api, product, owner, data=None, name="photo.png"):
    files = {"image": (io.BytesIO(images.png() if data is None else data), name)}
    response = api.post(f"/v1/product/{product['id']}/image", data=files, headers=owner.auth)
    assert response.status_code == 201, response.json
    return response.json


def _download(api, app, image):
    """Status, headers and bytes behind an image's download URL."""
    url = image["download_url"]
    if app.config["IMAGES_BUCKET"]:
        response = requests.get(url, timeout=10)  # moto answers the presigned URL
        return response.status_code, response.headers, response.content
    response = api.get(urlsplit(url).path)
    return response.status_code, response.headers, response.data


@pytest.mark.parametrize(("data", "kind", "ext"), [(images.png(), "image/png", "png"),
                                                   (images.jpeg(), "image/jpeg", "jpg")],
                         ids=["png", "jpeg"])  # fmt: skip
def test_downloads_are_typed_attachments_that_are_not_sniffed(api, app, owner, product, data,
                                                              kind, ext):  # fmt: skip
    image = _upload(api, product, owner, data=data, name=f"holiday.{ext}")
    status, headers, body = _download(api, app, image)
    assert status == 200 and body == data
    assert headers["Content-Type"] == kind
    key = image["s3_bucket_path"].rsplit("/", 1)[1]
    assert headers["Content-Disposition"] == f'attachment; filename="{key}"'
    if app.config["IMAGES_BUCKET"]:
        # S3 sends only the headers it has names for: X-Content-Type-Options cannot be
        # set on an object (user metadata comes back as x-amz-meta-*), so the type and
        # the disposition are pinned in the presigned URL, and on the object itself.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
        query = parse_qs(urlsplit(image["download_url"]).query)
        assert query["response-content-type"] == [kind]
        assert query["response-content-disposition"] == [f'attachment; filename="{key}"']
        stored = boto3.client("s3").head_object(
            Bucket=app.config["IMAGES_BUCKET"], Key=image["s3_bucket_path"].split("/", 3)[3]
        )
        assert stored["ContentDisposition"] == f'attachment; filename="{key}"'
        assert stored["ContentType"] == kind
    else:
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


# ---------------------------------------------------------------- the local store's key


def test_local_urls_survive_a_restart_without_secret_key(make_app, tmp_path, monkeypatch):
    # GIVEN no SECRET_KEY, WHEN the app restarts (a new app over the same instance
    # folder), THEN a download URL it issued before still works.
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    first = ApiClient(make_app(SECRET_KEY=None), "flask")
    from tests.support.factories import create_account, create_product

    owner = create_account(first)
    product = create_product(first, owner)
    image = _upload(first, product, owner)

    restarted = ApiClient(make_app(SECRET_KEY=None), "flask")
    response = restarted.get(urlsplit(image["download_url"]).path)
    assert response.status_code == 200 and response.data == images.png()
    assert (tmp_path / "instance" / storage.KEY_FILE).stat().st_mode & 0o777 == 0o600


def test_local_signing_key_is_made_once_and_shared(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="service.storage"):
        keys = {storage.local_signing_key(tmp_path / "instance") for _ in range(3)}
    assert len(keys) == 1 and len(keys.pop()) == 64
    warnings = [r for r in caplog.records if r.name == "service.storage"]
    assert len(warnings) == 1  # once, however many apps the process creates
    assert "SECRET_KEY" in warnings[0].getMessage()


def test_concurrent_first_runs_agree_on_one_key(tmp_path):
    folder = tmp_path / "instance"
    keys, barrier = [], threading.Barrier(8)

    def make():
        barrier.wait()
        keys.append(storage.local_signing_key(folder))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1
    assert [p.name for p in folder.iterdir()] == [storage.KEY_FILE]  # no temporary files left


def test_unusable_instance_folder_falls_back_to_a_process_key(tmp_path, caplog):
    (tmp_path / "a-file").write_text("")
    folder = tmp_path / "a-file" / "instance"  # cannot be created (root ignores chmod)
    with caplog.at_level(logging.WARNING, logger="service.storage"):
        first, second = storage.local_signing_key(folder), storage.local_signing_key(folder)
    assert first == second and len(first) == 64  # stable within the process
    assert any("restart" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------- hostile tokens


LOCAL_ONLY = pytest.mark.parametrize("storage_backend", ["local"])


@pytest.fixture
def local_store(app):
    return app.extensions["image_store"]


@LOCAL_ONLY
@pytest.mark.parametrize(
    "payload",
    ["../../etc/passwd", "../outside.png", "/etc/passwd", "1/2/a\0b.png", ["1/2/a.png"],
     {"key": "1/2/a.png"}, 42, None, True],
    ids=["dotdot", "dotdot-png", "absolute", "nul", "list", "object", "number", "null", "bool"],
)  # fmt: skip
def test_validly_signed_hostile_tokens_are_404(api, local_store, payload):
    token = local_store.signer.dumps(payload)
    response = api.get(f"/local-images/{token}")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_store_refuses_hostile_keys_without_raising(tmp_path):
    store = LocalImageStore(tmp_path, "key", expires=60)
    for payload in ("../x", "a\0b", ["x"], 7):
        assert store.key_for_token(store.signer.dumps(payload)) is None


# ---------------------------------------------------------------- logs


@LOCAL_ONLY
def test_access_log_never_shows_a_download_token_or_query(api, owner, product, caplog):
    image = _upload(api, product, owner)
    path = urlsplit(image["download_url"]).path
    token = path.rsplit("/", 1)[1]
    with caplog.at_level(logging.INFO, logger="service.access"):
        assert api.get(f"{path}?secret=query-value").status_code == 200
    lines = [(r.getMessage(), r.__dict__.get("path")) for r in caplog.records
             if r.name == "service.access"]  # fmt: skip
    assert lines and all(token not in str(line) and "query-value" not in str(line)
                         for line in lines)  # fmt: skip
    assert lines[-1][1] == "/local-images/<redacted>"


@LOCAL_ONLY
def test_dev_server_request_log_never_shows_a_token_or_query(app, caplog):
    # `flask run` serves through Werkzeug, which logs each request line at INFO.
    from werkzeug.serving import make_server

    from tests.support.factories import create_account, create_product

    api = ApiClient(app, "flask")  # URLs without a stage prefix, as `flask run` serves them
    owner = create_account(api)
    image = _upload(api, create_product(api, owner), owner)
    path = urlsplit(image["download_url"]).path
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            url = f"http://127.0.0.1:{server.server_port}{path}?secret=query-value"
            with urllib.request.urlopen(url, timeout=10) as response:
                # Read the body before closing: closing early resets the connection, and
                # Werkzeug's dev server then skips closing the response (its file leaks).
                assert response.status == 200 and response.read()
    finally:
        server.shutdown()
        thread.join()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any('"GET /local-images/<redacted>?<redacted> HTTP/1.1" 200' in x for x in lines)
    assert not any(path.rsplit("/", 1)[1] in x or "query-value" in x for x in lines)


# ---------------------------------------------------------------- polyglots


@pytest.mark.parametrize("name", ["png-html-text-chunk", "jpeg-html-in-scan-data"])
def test_polyglot_uploads_are_served_inert(api, app, owner, product, name):
    # Accepted (they are well-formed images), and served so that no browser treats
    # them as a page: an attachment, of the detected image type, not to be sniffed.
    image = _upload(api, product, owner, data=POLYGLOTS[name], name="innocent.html")
    assert image["file_name"].endswith((".png", ".jpg"))
    status, headers, body = _download(api, app, image)
    assert status == 200 and body == POLYGLOTS[name]
    assert headers["Content-Type"] in ("image/png", "image/jpeg")
    assert headers["Content-Disposition"].startswith("attachment;")
