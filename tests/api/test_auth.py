"""HTTP Basic authentication as a client sees it."""

from __future__ import annotations

import base64

import pytest

from tests.factories import create_account

UNAUTHORIZED = {
    "type": "about:blank",
    "title": "Unauthorized",
    "status": 401,
    "detail": "Valid HTTP Basic credentials are required.",
}


def _raw(value: str) -> dict[str, str]:
    return {"Authorization": value}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    "header",
    [
        "Basic",
        "Basic ",
        "Basic !!!not-base64!!!",
        "Basic " + _b64(b"no-colon-here"),
        "Basic " + _b64(b":"),
        "Basic " + _b64(b"\xff\xfe:\xff"),  # not UTF-8
        "Bearer abc.def.ghi",
        "Digest username=x",
        "garbage",
    ],
)
def test_malformed_authorization_is_401(api, header):
    account = create_account(api)
    response = api.get(f"/v1/user/{account.id}", headers=_raw(header))
    assert response.status_code == 401
    assert response.json == UNAUTHORIZED
    assert response.headers["WWW-Authenticate"] == 'Basic realm="inventory"'


def test_scheme_name_is_case_insensitive(api):
    account = create_account(api)
    token = _b64(f"{account.username}:{account.password}".encode())
    for scheme in ("basic", "BASIC", "bAsIc"):
        response = api.get(f"/v1/user/{account.id}", headers=_raw(f"{scheme} {token}"))
        assert response.status_code == 200, scheme


def test_wrong_password_and_unknown_user_get_the_same_401(api):
    account = create_account(api)
    wrong = api.get(
        f"/v1/user/{account.id}",
        headers=_raw("Basic " + _b64(f"{account.username}:wrong-password".encode())),
    )
    unknown = api.get(
        f"/v1/user/{account.id}",
        headers=_raw("Basic " + _b64(b"nobody@example.com:wrong-password")),
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.data == unknown.data
    assert wrong.json == UNAUTHORIZED


def test_password_with_colons_and_commas(api):
    account = create_account(api, password="a:b:c,d,e:::")
    response = api.get(f"/v1/user/{account.id}", headers=account.auth)
    assert response.status_code == 200


def test_password_is_checked_against_the_full_value(api):
    account = create_account(api, password="prefix-password")
    truncated = "Basic " + _b64(f"{account.username}:prefix-passwor".encode())
    longer = "Basic " + _b64(f"{account.username}:prefix-password!".encode())
    assert api.get(f"/v1/user/{account.id}", headers=_raw(truncated)).status_code == 401
    assert api.get(f"/v1/user/{account.id}", headers=_raw(longer)).status_code == 401


def test_73_byte_password_in_header_is_401_not_500(api):
    account = create_account(api, password="x" * 72)
    header = "Basic " + _b64(f"{account.username}:{'x' * 73}".encode())
    assert api.get(f"/v1/user/{account.id}", headers=_raw(header)).status_code == 401


def test_huge_username_in_header_is_401(api):
    header = "Basic " + _b64(("u" * 5000 + "@example.com:password").encode())
    assert api.post("/v1/product", json={}, headers=_raw(header)).status_code == 401
