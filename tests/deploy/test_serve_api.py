"""The real Lambda handler over HTTP through `python -m deploy serve` (from source and package)."""

from __future__ import annotations

import base64
import re
from urllib.parse import urljoin

import pytest
import requests

from deploy.errors import DeployError
from deploy.smoke import smoke
from tests.support.deploy_build import python312
from tests.support.deploy_serve import serve_process
from tests.support.images import png

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="module")
def account(gateway, http):
    """A user and one of their products, created through the gateway."""
    auth = ("serve-owner@example.com", "correct horse battery")
    response = http.post(
        f"{gateway.url}/v1/user",
        json={
            "username": auth[0],
            "password": auth[1],
            "first_name": "Ada",
            "last_name": "Lovelace",
        },
    )
    assert response.status_code == 201, response.text
    user = response.json()
    assert response.headers["Location"].endswith(f"/prod/v1/user/{user['id']}")
    response = http.post(
        f"{gateway.url}/v1/product",
        auth=auth,
        json={
            "name": "Lamp",
            "description": "Desk lamp",
            "sku": "lamp-1",
            "manufacturer": "Acme",
            "quantity": 5,
        },
    )
    assert response.status_code == 201, response.text
    return {"auth": auth, "user": user, "product": response.json()}


def test_serve_health_and_head(gateway, http):
    response = http.get(f"{gateway.url}/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.headers["Cache-Control"] == "no-cache"
    head = http.head(f"{gateway.url}/healthz")
    assert head.status_code == 200
    assert head.content == b""


def test_serve_user_roundtrip_and_auth_errors(gateway, http, account):
    user_id = account["user"]["id"]
    response = http.get(f"{gateway.url}/v1/user/{user_id}", auth=account["auth"])
    assert response.status_code == 200
    assert response.json() == account["user"]
    response = http.get(f"{gateway.url}/v1/user/{user_id}")
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith(PROBLEM)
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    response = http.get(
        f"{gateway.url}/v1/user/{user_id}", auth=(account["auth"][0], "wrong password")
    )
    assert response.status_code == 401


def test_serve_product_get_update_and_validation(gateway, http, account):
    product = account["product"]
    url = f"{gateway.url}/v1/product/{product['id']}"
    assert http.get(url).json() == product
    response = http.patch(url, auth=account["auth"], json={"quantity": 7})
    assert response.status_code == 204
    assert http.get(url).json()["quantity"] == 7
    response = http.patch(url, auth=account["auth"], json={"quantity": 1.5})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert [e["field"] for e in body["errors"]] == ["quantity"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/product/abc", 404),
        ("GET", "/v1/product/0", 404),
        ("GET", "/v1/products", 404),
        ("DELETE", "/healthz", 405),
    ],
)
def test_serve_errors_are_problem_json(gateway, http, method, path, status):
    response = http.request(method, f"{gateway.url}{path}")
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith(PROBLEM)
    assert response.json()["status"] == status
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_serve_image_upload_download_and_delete(gateway, http, account):
    # GIVEN a PNG uploaded as multipart/form-data (arrives base64-encoded in the event)
    data = png()
    images = f"{gateway.url}/v1/product/{account['product']['id']}/image"
    response = http.post(
        images, auth=account["auth"], files={"image": ("photo.png", data, "image/png")}
    )
    assert response.status_code == 201, response.text
    image = response.json()
    assert image["file_name"] == "photo.png"
    # WHEN it is downloaded through its URL, which carries the stage prefix
    assert "/prod/" in image["download_url"]
    download = http.get(image["download_url"])
    # THEN the bytes are intact (a binary response through isBase64Encoded)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "image/png"
    assert download.content == data
    listed = http.get(images, auth=account["auth"])
    assert [i["image_id"] for i in listed.json()] == [image["image_id"]]
    response = http.delete(f"{images}/{image['image_id']}", auth=account["auth"])
    assert response.status_code == 204
    assert http.get(f"{images}/{image['image_id']}", auth=account["auth"]).status_code == 404


def test_serve_image_upload_rejects_non_images(gateway, http, account):
    images = f"{gateway.url}/v1/product/{account['product']['id']}/image"
    gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
    for files in (
        {"image": ("a.gif", gif, "image/gif")},
        {"image": ("a.jpg", b"not a jpeg", "image/jpeg")},
        {"photo": ("a.png", png(), "image/png")},
    ):
        response = http.post(images, auth=account["auth"], files=files)
        assert response.status_code == 400, files
        assert response.headers["Content-Type"].startswith(PROBLEM)
    assert http.get(images, auth=account["auth"]).json() == []


def test_serve_docs_page_loads_openapi_relative_to_stage(gateway, http):
    page = http.get(f"{gateway.url}/docs")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    # the page fetches the document by a relative URL, resolved against /prod/docs
    relative = re.search(r"""url:\s*["']([^"']*openapi\.json)["']""", page.text)[1]
    assert not relative.startswith(("/", "http"))
    document_url = urljoin(page.url, relative)
    assert document_url == f"{gateway.url}/v1/openapi.json"
    document = http.get(document_url)
    assert document.status_code == 200
    assert document.json()["openapi"].startswith("3.")


def test_smoke_passes_against_serve(gateway):
    result = smoke(gateway.url, deadline_s=10, interval_s=0.2)
    assert result.status == 200
    assert result.url == f"{gateway.url}/healthz"


def test_smoke_fails_clearly_outside_the_stage(gateway):
    base = gateway.url.rsplit("/prod", 1)[0] + "/staging"
    with pytest.raises(
        DeployError,
        match=r"smoke test failed: GET .*/staging/healthz did not "
        r"answer 200 within 0.5 s \(\d+ attempts\); last: HTTP 403",
    ):
        smoke(base, deadline_s=0.5, interval_s=0.1)


def test_smoke_fails_clearly_when_nothing_listens():
    with pytest.raises(DeployError, match="no answer"):
        smoke("http://127.0.0.1:9", deadline_s=0.3, interval_s=0.1)


def test_serve_from_built_package_with_python312(x86_zip, runtime_dir, local_env, tmp_path):
    # GIVEN the x86_64 zip and python3.12 with only the runtime's boto3 beside it
    env = {**local_env, "PYTHONPATH": str(runtime_dir)}
    with serve_process(
        "--package", str(x86_zip), "--stage", "v1test", python=python312(), env=env
    ) as served:
        # WHEN requests go through the gateway THEN the packaged handler answers them
        response = requests.get(f"{served.url}/healthz", timeout=10)
        assert response.status_code == 200
        data = png()
        response = requests.post(
            f"{served.url}/v1/user",
            json={
                "username": "pkg@example.com",
                "password": "packaged password",
                "first_name": "P",
                "last_name": "K",
            },
            timeout=10,
        )
        assert response.status_code == 201, response.text
        auth = ("pkg@example.com", "packaged password")
        product = requests.post(
            f"{served.url}/v1/product",
            auth=auth,
            json={
                "name": "n",
                "description": "d",
                "sku": "pkg-1",
                "manufacturer": "m",
                "quantity": 1,
            },
            timeout=10,
        ).json()
        image = requests.post(
            f"{served.url}/v1/product/{product['id']}/image",
            auth=auth,
            files={"image": ("p.png", data, "image/png")},
            timeout=10,
        ).json()
        assert requests.get(image["download_url"], timeout=10).content == data
    assert not [line for line in served.log if "Traceback" in line]
    assert base64.b64encode(data)  # the body crossed the gateway base64-encoded
