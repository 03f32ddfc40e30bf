"""/v1/product/<id>/image: uploads through every transport, on the local store and S3 (moto)."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import boto3
import pytest

from service.config import MAX_IMAGE_BYTES
from tests.support import images
from tests.support.factories import create_account, create_product
from tests.support.snapshots import stored_objects

IMAGE_FIELDS = {"image_id", "product_id", "file_name", "date_created", "s3_bucket_path",
                "download_url"}  # fmt: skip


@pytest.fixture(params=["local", "s3"])
def storage_backend(request):
    return request.param


def upload(api, product_id, auth, data=None, name="photo.png", field="image", **kwargs):
    files = {field: (io.BytesIO(images.png() if data is None else data), name)}
    return api.post(f"/v1/product/{product_id}/image", data=files, headers=auth, **kwargs)


def object_key(app, body):
    """The store's key for an image, from its s3_bucket_path."""
    bucket = app.config["IMAGES_BUCKET"]
    return body["s3_bucket_path"].removeprefix(f"s3://{bucket}/" if bucket else "local://")


def fetch(api, app, body):
    """The bytes behind an image's download URL."""
    if app.config["IMAGES_BUCKET"]:
        query = urlsplit(body["download_url"]).query
        assert "X-Amz-Signature=" in query and "X-Amz-Expires=300" in query
        stored = boto3.client("s3").get_object(
            Bucket=app.config["IMAGES_BUCKET"], Key=object_key(app, body)
        )
        return stored["Body"].read()
    response = api.get(urlsplit(body["download_url"]).path)
    assert response.status_code == 200
    return response.data


def test_upload_png_returns_image_and_stores_bytes(api, app, owner, product):
    data = images.png(4, 4)
    response = upload(api, product["id"], owner.auth, data=data, name="front.png")
    assert response.status_code == 201
    body = response.json
    assert set(body) == IMAGE_FIELDS
    assert body["product_id"] == product["id"] and isinstance(body["product_id"], int)
    assert body["file_name"] == "front.png"
    assert re.match(
        rf"^(s3://inventory-images-test/|local://){owner.id}/{product['id']}/"
        r"[0-9a-f]{32}\.png$",
        body["s3_bucket_path"],
    )
    assert fetch(api, app, body) == data
    assert len(stored_objects(app)) == 1
    assert response.headers["Location"].endswith(
        f"/v1/product/{product['id']}/image/{body['image_id']}"
    )


def test_upload_jpeg_is_typed_by_content_not_name(api, app, owner, product):
    response = upload(api, product["id"], owner.auth, data=images.jpeg(), name="looks-like.png")
    assert response.status_code == 201
    assert response.json["s3_bucket_path"].endswith(".jpg")
    assert response.json["file_name"] == "looks-like.jpg"


def test_client_content_type_is_ignored(api, app, owner, product):
    files = {"image": (io.BytesIO(b"just some text, honest"), "a.jpg", "image/jpeg")}
    response = api.post(f"/v1/product/{product['id']}/image", data=files, headers=owner.auth)
    assert response.status_code == 400
    assert stored_objects(app) == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"plain text pretending", "text"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "gif"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "png magic then garbage"),
        (images.png() + b"trailing", "data after IEND"),
        (images.png()[:-6], "truncated png"),
        (b"\xff\xd8\xff" + b"\x00" * 50, "jpeg magic then garbage"),
        (images.jpeg()[:-2], "jpeg without end marker"),
        (b"%PDF-1.7\n", "pdf"),
    ],
)
def test_non_images_are_400_and_nothing_is_stored(api, app, owner, product, data, reason):
    response = upload(api, product["id"], owner.auth, data=data)
    assert response.status_code == 400, reason
    assert response.content_type == "application/problem+json"
    assert stored_objects(app) == []
    assert api.get(f"/v1/product/{product['id']}/image", headers=owner.auth).json == []


@pytest.mark.parametrize("name", ["a.png", "..\\..\\boot.ini"])
def test_empty_file_is_400(api, app, owner, product, name):
    assert upload(api, product["id"], owner.auth, data=b"", name=name).status_code == 400
    assert stored_objects(app) == []


def test_wrong_field_name_is_400(api, app, owner, product):
    assert upload(api, product["id"], owner.auth, field="file").status_code == 400
    assert stored_objects(app) == []


def test_two_files_are_400(api, app, owner, product):
    files = {"image": [(io.BytesIO(images.png()), "a.png"), (io.BytesIO(images.png()), "b.png")]}
    response = api.post(f"/v1/product/{product['id']}/image", data=files, headers=owner.auth)
    assert response.status_code == 400
    assert stored_objects(app) == []


@pytest.mark.parametrize("extra", ["hello", None], ids=["text-field", "empty-field"])
def test_extra_form_field_is_400(api, app, owner, product, extra):
    data = {"image": (io.BytesIO(images.png()), "a.png"), "caption": extra or ""}
    response = api.post(f"/v1/product/{product['id']}/image", data=data, headers=owner.auth)
    assert response.status_code == 400
    assert stored_objects(app) == []


def test_missing_image_is_400(api, app, owner, product):
    response = api.post(f"/v1/product/{product['id']}/image", json={}, headers=owner.auth)
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert stored_objects(app) == []


def test_image_as_plain_form_value_is_400(api, app, owner, product):
    data = {"image": "not a file"}
    response = api.post(f"/v1/product/{product['id']}/image", data=data, headers=owner.auth)
    assert response.status_code == 400
    assert stored_objects(app) == []


def test_exactly_4_mib_is_accepted(api, app, owner, product):
    overhead = len(images.png(extra_bytes=1)) - 1
    data = images.png(extra_bytes=MAX_IMAGE_BYTES - overhead)
    assert len(data) == MAX_IMAGE_BYTES
    assert upload(api, product["id"], owner.auth, data=data).status_code == 201


def test_one_byte_over_4_mib_is_413(api, app, owner, product):
    overhead = len(images.png(extra_bytes=1)) - 1
    data = images.png(extra_bytes=MAX_IMAGE_BYTES - overhead + 1)
    response = upload(api, product["id"], owner.auth, data=data)
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"
    assert stored_objects(app) == []


def test_huge_body_is_413(api, app, owner, product):
    response = upload(api, product["id"], owner.auth, data=b"\x89PNG" + b"\0" * (6 * 1024 * 1024))
    assert response.status_code == 413


def test_huge_body_without_auth_is_401(api, product):
    response = upload(api, product["id"], {}, data=b"\0" * (6 * 1024 * 1024))
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("dir/sub/evil.png", "evil.png"),
        ("a\x00b.png", "a_b.png"),
        ("   .hidden.png", "hidden.png"),
        ("résumé photo.PNG", "résumé photo.png"),
        ("no-extension", "no-extension.png"),
        ("x" * 500 + ".png", "x" * 196 + ".png"),
        ("", "image.png"),
        # In the multipart header's quoted string a backslash escapes the next character.
        ("..\\..\\windows\\system32\\a.png", "windowssystem32a.png"),
        ("/abs/path.png", "path.png"),
        ("%2e%2e%2fx.png", "%2e%2e%2fx.png"),
        ("' OR 1=1; --.png", "' OR 1=1; --.png"),
    ],
)
def test_file_name_is_sanitised_and_bounded(api, app, owner, product, name, expected):
    response = upload(api, product["id"], owner.auth, name=name)
    assert response.status_code == 201
    assert response.json["file_name"] == expected
    # The object key is the service's own (owner/product/uuid.ext), never built from the name.
    key = object_key(app, response.json)
    assert re.fullmatch(rf"{owner.id}/{product['id']}/[0-9a-f]{{32}}\.png", key), key


def test_list_and_get_images(api, app, owner, product):
    first = upload(api, product["id"], owner.auth).json
    second = upload(api, product["id"], owner.auth, data=images.jpeg(), name="b.jpg").json
    listed = api.get(f"/v1/product/{product['id']}/image", headers=owner.auth)
    assert listed.status_code == 200
    assert [i["image_id"] for i in listed.json] == [first["image_id"], second["image_id"]]
    got = api.get(f"/v1/product/{product['id']}/image/{second['image_id']}", headers=owner.auth)
    assert got.status_code == 200
    assert {k: v for k, v in got.json.items() if k != "download_url"} == {
        k: v for k, v in second.items() if k != "download_url"
    }
    assert fetch(api, app, got.json) == images.jpeg()


def test_image_of_another_product_is_404(api, owner, product):
    other_product = create_product(api, owner)
    image = upload(api, other_product["id"], owner.auth).json
    path = f"/v1/product/{product['id']}/image/{image['image_id']}"
    assert api.get(path, headers=owner.auth).status_code == 404
    assert api.delete(path, headers=owner.auth).status_code == 404


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("POST", ""), ("GET", ""), ("GET", "/{image_id}"), ("DELETE", "/{image_id}")],
)
def test_image_routes_are_owner_only(api, app, owner, product, method, suffix):
    image = upload(api, product["id"], owner.auth).json
    other = create_account(api)
    path = f"/v1/product/{product['id']}/image" + suffix.format(image_id=image["image_id"])

    def send(**headers):
        body = {"data": {"image": (io.BytesIO(images.png()), "x.png")}} if method == "POST" else {}
        return api.request(method, path, headers=headers, **body)

    assert send(**other.auth).status_code == 403
    assert send().status_code == 401
    assert len(stored_objects(app)) == 1


@pytest.mark.parametrize(("method", "suffix"), [("POST", ""), ("GET", ""), ("GET", "/1")])
def test_image_routes_of_missing_product_are_404(api, owner, method, suffix):
    path = "/v1/product/55555/image" + suffix
    assert api.request(method, path, headers=owner.auth).status_code == 404


def test_delete_image_removes_row_and_object(api, app, owner, product):
    image = upload(api, product["id"], owner.auth).json
    path = f"/v1/product/{product['id']}/image/{image['image_id']}"
    assert api.delete(path, headers=owner.auth).status_code == 204
    assert api.get(path, headers=owner.auth).status_code == 404
    assert stored_objects(app) == []


def test_delete_product_removes_its_images_and_objects(api, app, owner, product):
    keep = create_product(api, owner)
    kept = upload(api, keep["id"], owner.auth).json
    for _ in range(3):
        upload(api, product["id"], owner.auth)
    assert len(stored_objects(app)) == 4
    assert api.delete(f"/v1/product/{product['id']}", headers=owner.auth).status_code == 204
    assert stored_objects(app) == [object_key(app, kept)]
    listed = api.get(f"/v1/product/{keep['id']}/image", headers=owner.auth).json
    assert [i["image_id"] for i in listed] == [kept["image_id"]]


def test_upload_through_http_api_v2(api_v2, app):
    owner = create_account(api_v2)
    product = create_product(api_v2, owner)
    data = images.png(3, 3)
    response = upload(api_v2, product["id"], owner.auth, data=data)
    assert response.status_code == 201
    assert fetch(api_v2, app, response.json) == data
