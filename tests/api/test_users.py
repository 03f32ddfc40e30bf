"""/v1/user: create, get, update."""

from __future__ import annotations

import re

import pytest

from tests.support.factories import PASSWORD, create_account, user_payload
from tests.support.transport import basic_auth

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
USER_FIELDS = {"id", "first_name", "last_name", "username", "account_created", "account_updated"}


def test_create_user_returns_exactly_the_public_fields(api):
    payload = user_payload(first_name="Jane", last_name="Doe")
    response = api.post("/v1/user", json=payload)
    assert response.status_code == 201
    assert response.content_type == "application/json; charset=utf-8"
    body = response.json
    assert set(body) == USER_FIELDS
    assert body["username"] == payload["username"]
    assert (body["first_name"], body["last_name"]) == ("Jane", "Doe")
    assert isinstance(body["id"], int) and body["id"] > 0
    assert TIMESTAMP.match(body["account_created"])
    assert body["account_created"] == body["account_updated"]
    assert response.headers["Location"].endswith(f"/v1/user/{body['id']}")


def test_create_user_timestamps_match_later_get(api):
    account = create_account(api)
    response = api.get(f"/v1/user/{account.id}", headers=account.auth)
    assert response.status_code == 200
    assert response.json == account.body


def test_create_user_ignores_read_only_fields(api):
    payload = user_payload(id=999, account_created="2000-01-01T00:00:00.000Z")
    payload["account_updated"] = "2000-01-01T00:00:00.000Z"
    response = api.post("/v1/user", json=payload)
    assert response.status_code == 201
    assert response.json["id"] != 999
    assert not response.json["account_created"].startswith("2000")


def test_create_user_trims_names(api):
    response = api.post("/v1/user", json=user_payload(first_name="  Ann ", last_name=" Lee"))
    assert (response.json["first_name"], response.json["last_name"]) == ("Ann", "Lee")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"username": "not-an-email"}, "username"),
        ({"username": "a@b"}, "username"),
        ({"username": ""}, "username"),
        ({"username": 42}, "username"),
        ({"username": "x" * 250 + "@example.com"}, "username"),
        ({"password": "short"}, "password"),
        ({"password": "a" * 73}, "password"),
        ({"password": "é" * 37}, "password"),  # 37 characters, 74 bytes
        ({"password": 12345678}, "password"),
        ({"first_name": ""}, "first_name"),
        ({"first_name": "   "}, "first_name"),
        ({"first_name": "x" * 256}, "first_name"),
        ({"last_name": None}, "last_name"),
        ({"last_name": ["Doe"]}, "last_name"),
        ({"nickname": "jd"}, "nickname"),
    ],
)
def test_create_user_rejects_invalid_field(api, overrides, field):
    response = api.post("/v1/user", json=user_payload(**overrides))
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    body = response.json
    assert body["status"] == 400 and body["title"] == "Bad Request"
    assert [error["field"] for error in body["errors"]] == [field]


def test_create_user_reports_every_bad_field(api):
    response = api.post("/v1/user", json={"username": "nope", "first_name": 1})
    assert response.status_code == 400
    fields = sorted(error["field"] for error in response.json["errors"])
    assert fields == ["first_name", "last_name", "password", "username"]


def test_create_user_accepts_password_of_exactly_72_bytes(api):
    password = "é" * 36  # 72 bytes
    account = create_account(api, password=password)
    assert api.get(f"/v1/user/{account.id}", headers=account.auth).status_code == 200


def test_create_user_accepts_unicode_and_punctuation_in_password(api):
    password = "p:a,s s🔑wörd"
    account = create_account(api, password=password)
    assert api.get(f"/v1/user/{account.id}", headers=account.auth).status_code == 200


def test_create_user_accepts_names_of_255_characters_and_emoji(api):
    response = api.post("/v1/user", json=user_payload(first_name="é" * 255, last_name="🙂 Doe"))
    assert response.status_code == 201
    assert response.json["first_name"] == "é" * 255
    assert response.json["last_name"] == "🙂 Doe"


def test_create_user_duplicate_username_is_409(api):
    payload = user_payload()
    assert api.post("/v1/user", json=payload).status_code == 201
    response = api.post("/v1/user", json={**payload, "first_name": "Other"})
    assert response.status_code == 409
    assert response.json["detail"] == "A user with this username already exists."


def test_create_user_duplicate_username_differing_in_case_is_409(api):
    payload = user_payload(username="Mixed.Case@Example.COM")
    assert api.post("/v1/user", json=payload).status_code == 201
    response = api.post("/v1/user", json={**payload, "username": "mixed.case@example.com"})
    assert response.status_code == 409


def test_login_with_differently_cased_username_works(api):
    account = create_account(api, username="Case.User@Example.com")
    auth = basic_auth("case.user@EXAMPLE.COM", account.password)
    assert api.get(f"/v1/user/{account.id}", headers=auth).status_code == 200


def test_get_user_requires_auth(api):
    account = create_account(api)
    response = api.get(f"/v1/user/{account.id}")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="inventory"'


def test_get_user_never_returns_password(api):
    account = create_account(api)
    body = api.get(f"/v1/user/{account.id}", headers=account.auth).text
    assert "password" not in body and "$2b$" not in body and PASSWORD not in body


def test_get_other_user_is_403(api):
    alice, bob = create_account(api), create_account(api)
    response = api.get(f"/v1/user/{bob.id}", headers=alice.auth)
    assert response.status_code == 403
    assert response.json == {
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
        "detail": "You can only access your own account.",
    }


def test_get_nonexistent_user_is_403_not_404(api):
    alice = create_account(api)
    assert api.get(f"/v1/user/{alice.id + 10_000}", headers=alice.auth).status_code == 403


def test_update_user_changes_names_and_password(api):
    account = create_account(api)
    new = {"password": "a brand new password", "first_name": "Janet", "last_name": "Smith"}
    assert api.put(f"/v1/user/{account.id}", json=new, headers=account.auth).status_code == 204
    assert api.get(f"/v1/user/{account.id}", headers=account.auth).status_code == 401
    fresh = basic_auth(account.username, new["password"])
    body = api.get(f"/v1/user/{account.id}", headers=fresh).json
    assert (body["first_name"], body["last_name"]) == ("Janet", "Smith")
    assert body["account_created"] == account.body["account_created"]
    assert body["account_updated"] > account.body["account_updated"]


def test_update_user_response_is_empty_204(api):
    account = create_account(api)
    new = {"password": PASSWORD, "first_name": "A", "last_name": "B"}
    response = api.put(f"/v1/user/{account.id}", json=new, headers=account.auth)
    assert response.status_code == 204
    assert response.data == b""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"username": "new@example.com"}, "Read-only field."),
        ({"id": 5}, "Read-only field."),
        ({"account_created": "2020-01-01T00:00:00.000Z"}, "Read-only field."),
        ({"account_updated": "2020-01-01T00:00:00.000Z"}, "Read-only field."),
        ({"email": "x"}, "Unknown field."),
    ],
)
def test_update_user_rejects_other_fields(api, extra, message):
    account = create_account(api)
    body = {"password": PASSWORD, "first_name": "A", "last_name": "B", **extra}
    response = api.put(f"/v1/user/{account.id}", json=body, headers=account.auth)
    assert response.status_code == 400
    assert response.json["errors"] == [{"field": next(iter(extra)), "message": message}]
    after = api.get(f"/v1/user/{account.id}", headers=account.auth).json
    assert after == account.body  # nothing changed


def test_update_user_requires_all_three_fields(api):
    account = create_account(api)
    response = api.put(f"/v1/user/{account.id}", json={"first_name": "A"}, headers=account.auth)
    assert response.status_code == 400
    assert sorted(e["field"] for e in response.json["errors"]) == ["last_name", "password"]


def test_update_user_rejects_73_byte_password(api):
    account = create_account(api)
    body = {"password": "x" * 73, "first_name": "A", "last_name": "B"}
    response = api.put(f"/v1/user/{account.id}", json=body, headers=account.auth)
    assert response.status_code == 400
    assert response.json["errors"][0]["field"] == "password"


def test_update_other_user_is_403_even_with_bad_body(api):
    alice, bob = create_account(api), create_account(api)
    response = api.put(f"/v1/user/{bob.id}", data="{not json", headers=alice.auth)
    assert response.status_code == 403


def test_update_user_bad_credentials_is_401_before_anything_else(api):
    account = create_account(api)
    wrong = basic_auth(account.username, "wrong password")
    response = api.put(f"/v1/user/{account.id + 1}", data="{not json", headers=wrong)
    assert response.status_code == 401


def test_create_user_through_http_api_v2(api_v2):
    response = api_v2.post("/v1/user", json=user_payload())
    assert response.status_code == 201
    account_auth = basic_auth(response.json["username"], PASSWORD)
    got = api_v2.get(f"/v1/user/{response.json['id']}", headers=account_auth)
    assert got.json == response.json
