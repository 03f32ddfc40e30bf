"""Unknown routes, junk ids, wrong methods, malformed bodies: always problem JSON."""

from __future__ import annotations

import pytest

from tests.support.factories import create_account, create_product
from tests.support.snapshots import snapshot


@pytest.mark.parametrize(
    "path",
    [
        "/v1/product/abc",
        "/v1/product/12abc",
        "/v1/product/0",
        "/v1/product/-1",
        "/v1/product/1.5",
        "/v1/product/99999999999999999999999",
        "/v1/user/1/extra",
        "/v1/products",
        "/v1/user/",
        "/",
        "/v2/user",
        "/v1/product/1/image/abc",
    ],
)
def test_unknown_route_or_junk_id_is_404_json(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 404
    assert response.json["title"] == "Not Found"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/healthz", {"GET", "HEAD", "OPTIONS"}),
        ("POST", "/healthz", {"GET", "HEAD", "OPTIONS"}),
        ("GET", "/v1/user", {"POST", "OPTIONS"}),
        ("DELETE", "/v1/user/1", {"GET", "HEAD", "OPTIONS", "PUT"}),
        ("PATCH", "/v1/user/1", {"GET", "HEAD", "OPTIONS", "PUT"}),
        ("GET", "/v1/product", {"POST", "OPTIONS"}),
        ("POST", "/v1/product/1", {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"}),
        ("PUT", "/v1/product/1/image", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("PUT", "/v1/product/1/image/1", {"GET", "HEAD", "OPTIONS", "DELETE"}),
    ],
)
def test_wrong_method_is_405_with_allow(api, method, path, allowed):
    response = api.request(method, path)
    assert response.status_code == 405
    assert response.content_type == "application/problem+json"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == allowed
    assert response.json["status"] == 405


def test_wrong_method_is_405_with_or_without_credentials(api):
    account = create_account(api)
    with_auth = api.request("DELETE", f"/v1/user/{account.id}", headers=account.auth)
    bad_auth = api.request("DELETE", f"/v1/user/{account.id}", headers={"Authorization": "x"})
    assert with_auth.status_code == bad_auth.status_code == 405


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ('{"name": "x",}', "application/json", 400),
        ("", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ('"a string"', "application/json", 400),
        ("null", "application/json", 400),
        ('{"quantity": NaN}', "application/json", 400),
        ('{"quantity": Infinity}', "application/json", 400),
        ("[" * 100_000 + "]" * 100_000, "application/json", 400),
        (b'{"name": "\xff\xfe"}', "application/json", 400),
        ('{"name": "x"}', "text/plain", 415),
        ('{"name": "x"}', "application/x-www-form-urlencoded", 415),
        ('{"name": "x"}', None, 415),
    ],
)
def test_malformed_body_is_4xx_problem(api, app, data, content_type, status):
    account = create_account(api)
    before = snapshot(app)
    response = api.post("/v1/product", data=data, content_type=content_type, headers=account.auth)
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == status
    assert snapshot(app) == before


def test_json_with_charset_parameter_is_accepted(api):
    account = create_account(api)
    body = '{"name": "n", "description": "", "sku": "CS-1", "manufacturer": "", "quantity": 1}'
    response = api.post(
        "/v1/product",
        data=body.encode(),
        content_type="application/json; charset=utf-8",
        headers=account.auth,
    )
    assert response.status_code == 201


def test_auth_is_checked_before_existence_and_body(api):
    response = api.put("/v1/product/424242", data="{bad")
    assert response.status_code == 401


def test_existence_is_checked_before_body(api):
    account = create_account(api)
    response = api.put("/v1/product/424242", data="{bad", headers=account.auth)
    assert response.status_code == 404


def test_ownership_is_checked_before_body(api):
    owner, other = create_account(api), create_account(api)
    product = create_product(api, owner)
    response = api.put(f"/v1/product/{product['id']}", data="{bad", headers=other.auth)
    assert response.status_code == 403


def test_errors_never_return_html(api):
    for response in (api.get("/nope"), api.request("TRACE", "/healthz")):
        assert "html" not in response.content_type
        assert b"<html" not in response.data.lower()
