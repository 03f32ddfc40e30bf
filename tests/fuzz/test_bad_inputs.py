# ruff: noqa: E501  (the catalogue reads best as one case per line)
"""A catalogue of hand-written bad requests through the Lambda handler (REST v1 events),
on SQLite and MariaDB with S3 (moto): every one is a 4xx problem document, and neither
the database nor the bucket changes."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from sqlalchemy import text

from service.extensions import db
from tests import images
from tests.benchmarks import upload_validation as crafted
from tests.conftest import TABLES
from tests.factories import PASSWORD, create_account, create_product, product_payload
from tests.support import crafted_images as parts
from tests.transport import ApiClient, make_v1_event, make_v2_event

MiB = 1024 * 1024
PROBLEM = "application/problem+json"


@dataclass
class Bad:
    """One bad request: ``path`` may name {product} and {user}; ``auth`` sends the owner's."""

    id: str
    method: str
    path: str
    status: int
    auth: bool = True
    kwargs: dict[str, Any] = field(default_factory=dict)


def _json(raw: bytes | str, content_type: str = "application/json") -> dict[str, Any]:
    data = raw.encode() if isinstance(raw, str) else raw
    return {"data": data, "content_type": content_type}


def _basic(raw: bytes) -> dict[str, Any]:
    return {"headers": {"Authorization": "Basic " + base64.b64encode(raw).decode()}}


def _owner_auth(scheme: str = "Basic", username: Any = "{username}", password: str = PASSWORD,
                mangle: Any = None) -> dict[str, Any]:  # fmt: skip
    """An Authorization header built from the owner's real username (the test fills it in);
    ``username`` is a format string or a function of the real one."""

    def build(owner) -> str:
        name = (
            username(owner.username)
            if callable(username)
            else username.format(username=owner.username)
        )
        raw = f"{name}:{password}".encode()
        token = base64.b64encode(raw).decode()
        return f"{scheme} {mangle(token) if mangle else token}"

    return {"headers": {"Authorization": build}}


def _user_json(**overrides: Any) -> dict[str, Any]:
    body = {"username": "nul@example.com", "password": "password1", "first_name": "A",
            "last_name": "B", **overrides}  # fmt: skip
    return _json(json.dumps(body))


def _file(content: bytes, name: str = "a.png", field_name: str = "image") -> dict[str, Any]:
    return {"files": [(field_name, content, name)]}


def _multipart(body: bytes, boundary: str | None = "XyZ") -> dict[str, Any]:
    content_type = "multipart/form-data" + (f"; boundary={boundary}" if boundary else "")
    return {"data": body, "content_type": content_type}


def _part(boundary: str = "XyZ", name: str = "image", filename: str = "a.png") -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
        f'filename="{filename}"\r\nContent-Type: image/png\r\n\r\n'
    ).encode()


def _png_bad_crc() -> bytes:
    good = images.png()
    return good[:29] + bytes([good[29] ^ 0xFF]) + good[30:]  # IHDR's CRC byte flipped


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = struct.pack(">I", zlib.crc32(kind + data))
    return struct.pack(">I", len(data)) + kind + data + crc


DEEP = 100_000
PRODUCT = "/v1/product"
ONE = "/v1/product/{product}"
IMAGES = "/v1/product/{product}/image"
VALID = json.dumps(product_payload(sku="CATALOGUE-1"))

CATALOGUE = [
    # ------------------------------------------------------------ malformed JSON
    Bad("json-truncated", "POST", PRODUCT, 400, kwargs=_json(VALID[:-5])),
    Bad("json-trailing-comma", "POST", PRODUCT, 400, kwargs=_json(VALID[:-1] + ",}")),
    Bad("json-single-quotes", "POST", PRODUCT, 400, kwargs=_json(VALID.replace('"', "'"))),
    Bad("json-array", "POST", PRODUCT, 400, kwargs=_json("[" + VALID + "]")),
    Bad("json-string", "POST", PRODUCT, 400, kwargs=_json('"product"')),
    Bad("json-null", "POST", PRODUCT, 400, kwargs=_json("null")),
    Bad("json-number", "POST", PRODUCT, 400, kwargs=_json("42")),
    Bad("json-empty-body", "POST", PRODUCT, 400, kwargs=_json(b"")),
    Bad("json-whitespace-only", "POST", PRODUCT, 400, kwargs=_json(b" \r\n\t ")),
    Bad("json-nan", "POST", PRODUCT, 400, kwargs=_json(VALID.replace("10", "NaN"))),
    Bad("json-infinity", "POST", PRODUCT, 400, kwargs=_json(VALID.replace("10", "Infinity"))),
    Bad("json-two-documents", "POST", PRODUCT, 400, kwargs=_json(VALID + VALID)),
    Bad("json-comment", "POST", PRODUCT, 400, kwargs=_json("/* hi */" + VALID)),
    Bad("json-deep-arrays", "POST", PRODUCT, 400, kwargs=_json("[" * DEEP + "]" * DEEP)),
    Bad("json-deep-objects", "POST", PRODUCT, 400, kwargs=_json('{"a":' * DEEP + "1" + "}" * DEEP)),
    Bad("json-deep-patch", "PATCH", ONE, 400, kwargs=_json('{"name":' + "[" * DEEP + "]" * DEEP + "}")),
    Bad("json-10k-unknown-keys", "POST", PRODUCT, 400,
        kwargs=_json(json.dumps({f"k{i}": i for i in range(10_000)}))),
    Bad("json-1mb-name", "POST", PRODUCT, 400,
        kwargs=_json(json.dumps(product_payload(name="n" * MiB)))),
    Bad("json-over-4mib-body", "POST", PRODUCT, 413,
        kwargs=_json(json.dumps(product_payload(description="d" * (5 * MiB))))),
    Bad("json-empty-patch", "PATCH", ONE, 400, kwargs=_json("{}")),
    Bad("json-read-only-field", "PATCH", ONE, 400, kwargs=_json('{"id": 99}')),
    Bad("json-put-missing-fields", "PUT", ONE, 400, kwargs=_json('{"name": "x"}')),
    Bad("quantity-float", "PATCH", ONE, 400, kwargs=_json('{"quantity": 1.5}')),
    Bad("quantity-bool", "PATCH", ONE, 400, kwargs=_json('{"quantity": true}')),
    Bad("quantity-string", "PATCH", ONE, 400, kwargs=_json('{"quantity": "3"}')),
    Bad("quantity-1e6", "PATCH", ONE, 400, kwargs=_json('{"quantity": 1e6}')),
    Bad("quantity-huge-int", "PATCH", ONE, 400, kwargs=_json('{"quantity": ' + "9" * 5000 + "}")),
    # ------------------------------------------------------------ content types
    Bad("ct-text-plain", "POST", PRODUCT, 415, kwargs=_json(VALID, "text/plain")),
    Bad("ct-form-urlencoded", "POST", PRODUCT, 415,
        kwargs=_json("name=x", "application/x-www-form-urlencoded")),
    Bad("ct-missing", "POST", PRODUCT, 415, kwargs={"data": VALID.encode()}),
    Bad("ct-json-lookalike", "POST", PRODUCT, 415, kwargs=_json(VALID, "application/jsonx")),
    Bad("ct-multipart-to-json-route", "POST", PRODUCT, 415, kwargs=_file(images.png())),
    Bad("ct-json-to-image-route", "POST", IMAGES, 400, kwargs=_json(VALID)),
    Bad("ct-image-png-raw-body", "POST", IMAGES, 400, kwargs=_json(images.png(), "image/png")),
    Bad("ct-user-create-xml", "POST", "/v1/user", 415, auth=False,
        kwargs=_json("<user/>", "application/xml")),
    # ------------------------------------------------------------ invalid UTF-8, NUL bytes
    Bad("utf8-invalid-byte", "POST", PRODUCT, 400, kwargs=_json(VALID.encode().replace(b"Acme", b"\xffcme"))),
    Bad("utf8-overlong-slash", "POST", PRODUCT, 400, kwargs=_json(VALID.encode().replace(b"Acme", b"\xc0\xafcme"))),
    Bad("utf8-lone-surrogate-escape", "POST", PRODUCT, 400, kwargs=_json(VALID.replace("Acme", "\\ud800"))),
    Bad("utf8-encoded-surrogate", "POST", PRODUCT, 400, kwargs=_json(VALID.encode().replace(b"Acme", b"\xed\xa0\x80"))),
    Bad("utf8-latin1-body", "POST", "/v1/user", 400, auth=False,
        kwargs=_json('{"username": "jos\xe9@example.com"}'.encode("latin-1"))),
    Bad("nul-raw-in-body", "POST", PRODUCT, 400, kwargs=_json(VALID[:1] + "\x00" + VALID[1:])),
    Bad("nul-in-key", "PATCH", ONE, 400, kwargs=_json('{"name\\u0000": "x"}')),
    Bad("nul-in-email", "POST", "/v1/user", 400, auth=False,
        kwargs=_json(json.dumps({"username": "a\x00@example.com", "password": "password1",
                                 "first_name": "A", "last_name": "B"}))),
    Bad("nul-in-path", "GET", "/v1/product/1%00", 404, auth=False),
    Bad("nul-in-auth", "GET", "/v1/user/{user}", 401, auth=False, kwargs=_basic(b"a@b.com\x00:x\x00")),
    # ------------------------------------------------------------ SQL-injection-looking
    Bad("sqli-id-or", "GET", "/v1/product/1%27%20OR%20%271%27=%271", 404, auth=False),
    Bad("sqli-id-drop", "GET", "/v1/product/1;DROP%20TABLE%20products", 404, auth=False),
    Bad("sqli-id-union", "GET", "/v1/user/1%20UNION%20SELECT%20*%20FROM%20users", 404),
    Bad("sqli-auth-username", "GET", "/v1/user/{user}", 401, auth=False,
        kwargs=_basic(b"' OR '1'='1' -- :anything")),
    Bad("sqli-auth-password", "GET", "/v1/user/{user}", 401, auth=False,
        kwargs=_basic(b"user@example.com:' OR 1=1; --")),
    Bad("sqli-email", "POST", "/v1/user", 400, auth=False,
        kwargs=_json(json.dumps({"username": "x@example.com' OR '1'='1", "password": "password1",
                                 "first_name": "A", "last_name": "B"}))),
    Bad("sqli-quantity", "PATCH", ONE, 400, kwargs=_json('{"quantity": "0; DROP TABLE products"}')),
    Bad("sqli-unknown-field", "PATCH", ONE, 400, kwargs=_json('{"sku = sku; --": "x"}')),
    # ------------------------------------------------------------ path traversal
    Bad("traversal-dotdot", "GET", "/v1/product/../user/1", 404, auth=False),
    Bad("traversal-encoded", "GET", "/v1/product/%2e%2e%2f%2e%2e%2fetc%2fpasswd", 404, auth=False),
    Bad("traversal-image-id", "GET", "/v1/product/{product}/image/..%2F..%2F1", 404),
    Bad("traversal-local-images", "GET", "/local-images/..%2F..%2Fetc%2Fpasswd", 404, auth=False),
    Bad("traversal-name-not-an-image", "POST", IMAGES, 400, kwargs=_file(b"root:x:0:0", "../../etc/passwd")),
    Bad("traversal-name-empty-file", "POST", IMAGES, 400, kwargs=_file(b"", "..\\..\\boot.ini")),
    # ------------------------------------------------------------ multipart
    Bad("mp-truncated", "POST", IMAGES, 400,
        kwargs=_multipart(_part() + images.png()[:30])),
    Bad("mp-no-closing-boundary", "POST", IMAGES, 400,
        kwargs=_multipart(_part() + images.png() + b"\r\n")),
    Bad("mp-no-boundary-param", "POST", IMAGES, 400,
        kwargs=_multipart(_part() + images.png() + b"\r\n--XyZ--\r\n", boundary=None)),
    Bad("mp-wrong-boundary", "POST", IMAGES, 400,
        kwargs=_multipart(_part("Other") + images.png() + b"\r\n--Other--\r\n")),
    Bad("mp-empty-body", "POST", IMAGES, 400, kwargs=_multipart(b"")),
    Bad("mp-plain-field-not-file", "POST", IMAGES, 400, kwargs={"data": {"image": "not a file"}}),
    Bad("mp-other-field-name", "POST", IMAGES, 400, kwargs=_file(images.png(), field_name="file")),
    Bad("mp-two-files", "POST", IMAGES, 400,
        kwargs={"files": [("image", images.png(), "a.png"), ("image", images.png(), "b.png")]}),
    Bad("mp-file-plus-field", "POST", IMAGES, 400,
        kwargs={"files": [("image", images.png(), "a.png"), ("note", None, "x")]}),
    Bad("mp-empty-file", "POST", IMAGES, 400, kwargs=_file(b"")),
    # ------------------------------------------------------------ images: valid magic, garbage after
    Bad("img-png-magic-then-garbage", "POST", IMAGES, 400,
        kwargs=_file(images.png()[:8] + b"garbage" * 100)),
    Bad("img-png-bad-crc", "POST", IMAGES, 400, kwargs=_file(_png_bad_crc())),
    Bad("img-png-trailing-data", "POST", IMAGES, 400, kwargs=_file(images.png() + b"<?php ?>")),
    Bad("img-png-no-iend", "POST", IMAGES, 400, kwargs=_file(images.png()[:-12])),
    Bad("img-png-huge-chunk-length", "POST", IMAGES, 400,
        kwargs=_file(images.png()[:8] + struct.pack(">I", 2**31) + b"IHDR" + b"\0" * 20)),
    Bad("img-png-idat-first", "POST", IMAGES, 400,
        kwargs=_file(images.png()[:8] + _png_chunk(b"IDAT", b"x") + images.png()[8:])),
    Bad("img-jpeg-magic-then-garbage", "POST", IMAGES, 400,
        kwargs=_file(b"\xff\xd8\xff" + b"garbage" * 100, "a.jpg")),
    Bad("img-jpeg-no-eoi", "POST", IMAGES, 400, kwargs=_file(images.jpeg()[:-2], "a.jpg")),
    Bad("img-gif", "POST", IMAGES, 400, kwargs=_file(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "a.gif")),
    Bad("img-text-as-jpeg", "POST", IMAGES, 400, kwargs=_file(b"hello", "a.jpg")),
    Bad("img-4mib-plus-1-png", "POST", IMAGES, 413,
        kwargs=_file(images.png(extra_bytes=4 * MiB + 1 - len(images.png()) - 20))),
    Bad("img-4mib-plus-1-random", "POST", IMAGES, 413, kwargs=_file(b"\x89PNG" + b"r" * (4 * MiB - 3))),
    # ------------------------------------------------------------ malformed headers
    Bad("auth-scheme-only", "GET", "/v1/user/{user}", 401, auth=False,
        kwargs={"headers": {"Authorization": "Basic"}}),
    Bad("auth-not-base64", "GET", "/v1/user/{user}", 401, auth=False,
        kwargs={"headers": {"Authorization": "Basic !!!not-base64!!!"}}),
    Bad("auth-no-colon", "GET", "/v1/user/{user}", 401, auth=False, kwargs=_basic(b"nocolon")),
    Bad("auth-empty-credentials", "GET", "/v1/user/{user}", 401, auth=False, kwargs=_basic(b":")),
    Bad("auth-bearer", "GET", "/v1/user/{user}", 401, auth=False,
        kwargs={"headers": {"Authorization": "Bearer abc.def.ghi"}}),
    Bad("auth-invalid-utf8", "GET", "/v1/user/{user}", 401, auth=False, kwargs=_basic(b"\xff\xfe:\xff")),
    Bad("auth-10k-username", "GET", "/v1/user/{user}", 401, auth=False,
        kwargs=_basic(b"u" * 10_000 + b"@example.com:" + PASSWORD.encode())),
    Bad("auth-100-byte-password", "POST", PRODUCT, 401, auth=False, kwargs=_basic(b"a@b.co:" + b"p" * 100)),
    Bad("auth-on-write-missing", "POST", PRODUCT, 401, auth=False, kwargs=_json(VALID)),
    Bad("json-empty-object-junk-header", "POST", PRODUCT, 400,
        kwargs={**_json("{}"), "headers": {"X-Junk": "\x01\x02"}}),
    # ------------------------------------------------------------ strict Basic (issue 11)
    Bad("auth-bearer-real-credentials", "GET", "/v1/user/{user}", 401, auth=False, kwargs=_owner_auth("Bearer")),
    Bad("auth-digest-real-credentials", "GET", "/v1/user/{user}", 401, auth=False, kwargs=_owner_auth("Digest")),
    Bad("auth-basic-lookalike-scheme", "GET", "/v1/user/{user}", 401, auth=False, kwargs=_owner_auth("Ba\u017fic")),
    Bad("auth-junk-inside-base64", "GET", "/v1/user/{user}", 401, auth=False,
        kwargs=_owner_auth(mangle=lambda t: t[:8] + "!*" + t[8:])),
    Bad("auth-whitespace-inside-base64", "GET", "/v1/user/{user}", 401, auth=False,
        kwargs=_owner_auth(mangle=lambda t: t[:8] + " " + t[8:])),
    Bad("auth-excess-padding", "GET", "/v1/user/{user}", 401, auth=False, kwargs=_owner_auth(mangle=lambda t: t + "==")),
    Bad("auth-two-credentials-one-header", "GET", "/v1/user/{user}", 401, auth=False,
        kwargs=_owner_auth(mangle=lambda t: f"{t}, Basic {t}")),
    Bad("auth-two-authorization-headers", "GET", "/v1/user/{user}", 401, auth=False,
        kwargs={"headers": [("Authorization", "{owner}"), ("Authorization", "{owner}")]}),
    Bad("auth-latin1-password", "GET", "/v1/user/{user}", 401, auth=False,
        kwargs=_basic("a@b.co:p\xe4ssword".encode("latin-1"))),
    # ------------------------------------------------------------ NUL passwords, look-alike usernames
    Bad("nul-password-register", "POST", "/v1/user", 400, auth=False, kwargs=_user_json(password="\0" * 8)),
    Bad("nul-password-update", "PUT", "/v1/user/{user}", 400,
        kwargs=_json(json.dumps({"password": "pass\0word", "first_name": "A", "last_name": "B"}))),
    Bad("nul-password-login", "GET", "/v1/user/{user}", 401, auth=False, kwargs=_owner_auth(password="\0" * 8)),
    Bad("lookalike-long-s-username", "GET", "/v1/user/{user}", 401, auth=False,
        kwargs=_owner_auth(username=lambda name: name.replace("s", "\u017f", 1))),
    Bad("lookalike-control-prefix", "GET", "/v1/user/{user}", 401, auth=False, kwargs=_owner_auth(username="\x1c{username}")),
    Bad("lookalike-ideographic-space", "GET", "/v1/user/{user}", 401, auth=False,
        kwargs=_owner_auth(username="{username}\u3000")),
    Bad("lookalike-kelvin-register", "POST", "/v1/user", 400, auth=False,
        kwargs=_user_json(username="\u212aelvin@example.com")),
    # ------------------------------------------------------------ images: structure (issue 11)
    Bad("img-png-no-idat", "POST", IMAGES, 400, kwargs=_file(parts.PNG_WITHOUT_IDAT)),
    Bad("img-jpeg-no-frame-header", "POST", IMAGES, 400, kwargs=_file(parts.JPEG_WITHOUT_FRAME, "a.jpg")),
    Bad("img-png-decompression-bomb-size", "POST", IMAGES, 400,
        kwargs=_file(parts.SIG + parts.ihdr(width=100_000, height=100_000) + parts.IDAT + parts.IEND)),
    Bad("img-jpeg-zero-width", "POST", IMAGES, 400,
        kwargs=_file(parts.SOI + parts.sof(width=0) + parts.SOS + b"\0" + parts.EOI, "a.jpg")),
    Bad("img-png-split-idat", "POST", IMAGES, 400,
        kwargs=_file(parts.SIG + parts.ihdr() + parts.IDAT + parts.chunk(b"tEXt", b"a\0b") + parts.IDAT + parts.IEND)),
    Bad("img-png-350k-tiny-chunks", "POST", IMAGES, 400, kwargs=_file(crafted.png_many_tiny_chunks())),
    Bad("img-jpeg-1m-tiny-segments", "POST", IMAGES, 400, kwargs=_file(crafted.jpeg_many_tiny_segments(), "a.jpg")),
    # ------------------------------------------------------------ paths
    Bad("path-doubled-slash", "GET", "/v1//product/{product}", 404, auth=False),
    Bad("path-doubled-slash-write", "DELETE", "/v1/product//{product}", 404),
    # ------------------------------------------------------------ ids and methods
    Bad("id-zero", "GET", "/v1/product/0", 404, auth=False),
    Bad("id-negative", "GET", "/v1/product/-1", 404, auth=False),
    Bad("id-overflow", "GET", "/v1/product/99999999999999999999999999", 404, auth=False),
    Bad("id-19-digits", "PATCH", "/v1/product/9223372036854775808", 404, kwargs=_json('{"quantity": 1}')),
    Bad("method-delete-collection", "DELETE", PRODUCT, 405),
    Bad("method-trace", "TRACE", ONE, 405, auth=False),
]  # fmt: skip


def snapshot(app, bucket) -> tuple[dict[str, list], list[str]]:
    """Every row of every table, and every object key in the bucket."""
    with app.app_context():
        rows = {
            table: [
                tuple(r) for r in db.session.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            ]
            for table in TABLES
        }
        db.session.remove()
    listing = boto3.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
    return rows, sorted(o["Key"] for o in listing)


@pytest.fixture
def storage_backend():
    return "s3"


@pytest.fixture
def lambda_api(app):
    return ApiClient(app, "apigw_v1")


@pytest.fixture
def world(app, lambda_api):
    """An owner with a product that already has one image (so the bucket is not empty)."""
    owner = create_account(lambda_api)
    product = create_product(lambda_api, owner)
    upload = {"image": (io.BytesIO(images.png()), "first.png")}
    response = lambda_api.post(
        f"/v1/product/{product['id']}/image", data=upload, headers=owner.auth
    )
    assert response.status_code == 201
    return owner, product


def test_catalogue_is_big_enough():
    assert len(CATALOGUE) >= 90
    assert len({bad.id for bad in CATALOGUE}) == len(CATALOGUE)


# Werkzeug leaves the SpooledTemporaryFile of a multipart part it could not finish parsing
# to the garbage collector (a ResourceWarning at collection time, nothing leaks for long).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("bad", CATALOGUE, ids=[bad.id for bad in CATALOGUE])
def test_bad_input_is_a_4xx_problem_and_changes_nothing(bad, app, lambda_api, world):
    owner, product = world
    bucket = app.config["IMAGES_BUCKET"]
    before = snapshot(app, bucket)
    kwargs = dict(bad.kwargs)
    if files := kwargs.pop("files", None):  # fresh streams for every run
        form: dict[str, list] = {}
        for name, content, file_name in files:
            value = file_name if content is None else (io.BytesIO(content), file_name)
            form.setdefault(name, []).append(value)
        kwargs["data"] = form
    headers = kwargs.get("headers", {})
    if isinstance(headers, dict):  # a value may be built from the owner's credentials
        headers = {k: v(owner) if callable(v) else v for k, v in headers.items()}
    else:  # (name, value) pairs: a repeated header
        headers = [(k, owner.auth["Authorization"] if v == "{owner}" else v) for k, v in headers]
    kwargs["headers"] = headers
    if bad.auth:
        kwargs["headers"] = {**kwargs["headers"], **owner.auth}
    path = bad.path.format(product=product["id"], user=owner.id)

    response = lambda_api.request(bad.method, path, **kwargs)

    assert response.status_code == bad.status, response.data[:500]
    assert response.content_type == PROBLEM
    body = response.json
    assert body["status"] == bad.status
    assert body["type"] == "about:blank"
    assert isinstance(body["title"], str) and isinstance(body["detail"], str)
    assert "Traceback" not in response.text
    assert snapshot(app, bucket) == before


@pytest.mark.parametrize(
    "file_name",
    ["../../etc/passwd.png", "..\\..\\windows\\system32\\a.png", "/abs/path.png", "a\x00b.png",
     "%2e%2e%2fx.png", "' OR 1=1; --.png"],
)  # fmt: skip
def test_traversal_file_names_on_real_images_are_neutralised(file_name, app, lambda_api, world):
    # A valid image with a hostile name is accepted: the name is sanitised and the object
    # key is the service's own (owner/product/uuid.ext), never built from the name.
    owner, product = world
    upload = {"image": (io.BytesIO(images.png()), file_name)}
    response = lambda_api.post(
        f"/v1/product/{product['id']}/image", data=upload, headers=owner.auth
    )
    assert response.status_code == 201, response.json
    image = response.json
    assert "/" not in image["file_name"] and "\\" not in image["file_name"]
    assert "\x00" not in image["file_name"] and not image["file_name"].startswith(".")
    key = image["s3_bucket_path"].split("/", 3)[3]
    assert key.startswith(f"{owner.id}/{product['id']}/") and key.endswith(".png")
    assert ".." not in key


# ------------------------------------------------------------ events the handler is handed
# Not requests a client can send through API Gateway, but what the function can receive
# (a hand-made invoke, a changed integration): a 400 problem, never an exception that
# API Gateway would turn into a 502, and nothing changes.


def _event(**changes: Any) -> dict[str, Any]:
    event = make_v1_event(method="POST", path="/v1/product")
    event.update(changes)
    return event


EVENTS = {
    "event-list": [1, 2, 3],
    "event-string": "POST /v1/product",
    "event-null": None,
    "event-empty-object": {},
    "event-invalid-base64-body": _event(body="eyJuYW1lIjoiY", isBase64Encoded=True),
    "event-body-number": _event(body=12, isBase64Encoded=False),
    "event-headers-list": _event(headers=["Authorization"], multiValueHeaders=None),
    "event-multi-value-header-string": _event(multiValueHeaders={"Authorization": "Basic x"}),
    "event-request-context-string": _event(requestContext="prod"),
    "event-unknown-version": _event(version="9.9"),
    "event-v2-without-http": {**make_v2_event(method="POST", path="/v1/product"), "requestContext": {"stage": "$default"}},
    "event-v2-cookies-string": {**make_v2_event(method="GET", path="/healthz"), "cookies": "a=b"},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_malformed_event_is_a_400_problem_and_changes_nothing(name, app, lambda_api, world):
    bucket = app.config["IMAGES_BUCKET"]
    before = snapshot(app, bucket)
    response = lambda_api.invoke(json.loads(json.dumps(EVENTS[name])))
    assert response.status_code == 400
    assert response.content_type == PROBLEM
    assert response.json["title"] == "Bad Request"
    assert snapshot(app, bucket) == before


def test_one_header_spelt_twice_is_401_and_changes_nothing(app, lambda_api, world):
    # API Gateway keeps each spelling as its own multiValueHeaders key.
    owner, product = world
    bucket = app.config["IMAGES_BUCKET"]
    before = snapshot(app, bucket)
    event = make_v1_event(method="DELETE", path=f"/v1/product/{product['id']}")
    credentials = owner.auth["Authorization"]
    event["multiValueHeaders"].update(Authorization=[credentials], authorization=[credentials])
    response = lambda_api.invoke(event)
    assert response.status_code == 401
    assert snapshot(app, bucket) == before
