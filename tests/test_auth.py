"""The credential cache carries repeated requests: bcrypt runs once per password."""

from __future__ import annotations

import bcrypt

from tests.factories import create_account


def _count_bcrypt(monkeypatch):
    calls = []
    real = bcrypt.checkpw

    def counting(password, hashed):
        calls.append(1)
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    return calls


def test_repeated_requests_verify_bcrypt_once(api, monkeypatch):
    account = create_account(api)
    calls = _count_bcrypt(monkeypatch)
    for _ in range(5):
        assert api.get(f"/v1/user/{account.id}", headers=account.auth).status_code == 200
    assert len(calls) == 1


def test_password_change_invalidates_the_cache(api, monkeypatch):
    account = create_account(api)
    api.get(f"/v1/user/{account.id}", headers=account.auth)
    new = {"password": "another password", "first_name": "A", "last_name": "B"}
    assert api.put(f"/v1/user/{account.id}", json=new, headers=account.auth).status_code == 204
    # The old password was cached, but the stored hash changed: it no longer works.
    assert api.get(f"/v1/user/{account.id}", headers=account.auth).status_code == 401


def test_wrong_passwords_are_never_cached(api, monkeypatch):
    account = create_account(api)
    calls = _count_bcrypt(monkeypatch)
    wrong = {"Authorization": account.auth["Authorization"][:-4] + "AAAA"}
    for _ in range(3):
        assert api.get(f"/v1/user/{account.id}", headers=wrong).status_code == 401
    assert len(calls) == 3


def test_unknown_users_cost_a_bcrypt_check_too(api, monkeypatch):
    calls = _count_bcrypt(monkeypatch)
    from tests.transport import basic_auth

    response = api.get("/v1/user/1", headers=basic_auth("ghost@example.com", "whatever!"))
    assert response.status_code == 401
    assert len(calls) == 1
