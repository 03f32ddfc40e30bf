"""The credential cache carries repeated requests: bcrypt runs once per password."""

from __future__ import annotations

import bcrypt
import pytest

from tests.support.factories import create_account


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
    from tests.support.transport import basic_auth

    response = api.get("/v1/user/1", headers=basic_auth("ghost@example.com", "whatever!"))
    assert response.status_code == 401
    assert len(calls) == 1


# ---------------------------------------------------------------- equal work on every 401


def _record_bcrypt_work(monkeypatch):
    """The cost of every bcrypt check that actually ran (one that raised did no work)."""
    costs = []
    real = bcrypt.checkpw

    def recording(password, hashed):
        result = real(password, hashed)
        costs.append(int(hashed.split(b"$")[2]))
        return result

    monkeypatch.setattr(bcrypt, "checkpw", recording)
    return costs


@pytest.mark.parametrize(
    "password",
    ["wrong-password", "x" * 73, "é" * 37, "", "\0" * 8, "pass\0word"],
    ids=["wrong", "73-bytes", "74-bytes-utf8", "empty", "nuls", "nul-inside"],
)
def test_every_401_path_does_the_same_bcrypt_work(api, app, monkeypatch, password):
    from tests.support.transport import basic_auth

    account = create_account(api)
    costs = _record_bcrypt_work(monkeypatch)
    known = api.get(f"/v1/user/{account.id}", headers=basic_auth(account.username, password))
    known_costs, costs[:] = costs[:], []
    unknown = api.get(f"/v1/user/{account.id}", headers=basic_auth("nobody@example.com", password))
    assert known.status_code == unknown.status_code == 401
    assert known.data == unknown.data
    assert known_costs == costs == [app.config["BCRYPT_ROUNDS"]]


def _stored_hash(app, user_id):
    from service.extensions import db
    from service.models import User

    with app.app_context():
        hashed = db.session.get(User, user_id).password_hash
        db.session.remove()
        return hashed


def test_login_rehashes_when_the_configured_cost_changed(api, app):
    account = create_account(api)  # hashed at cost 4 (the test config)
    before = api.get(f"/v1/user/{account.id}", headers=account.auth).json
    assert _stored_hash(app, account.id).startswith("$2b$04$")

    app.config["BCRYPT_ROUNDS"] = 5
    assert api.get(f"/v1/user/{account.id}", headers=account.auth).status_code == 200
    upgraded = _stored_hash(app, account.id)
    assert upgraded.startswith("$2b$05$")
    assert bcrypt.checkpw(account.password.encode(), upgraded.encode())
    # A re-hash is not an account update.
    after = api.get(f"/v1/user/{account.id}", headers=account.auth).json
    assert after["account_updated"] == before["account_updated"]
    assert _stored_hash(app, account.id) == upgraded


def test_the_request_after_a_rehash_needs_no_bcrypt(api, app, monkeypatch):
    # The cache remembers the credentials against the new hash, not the replaced one.
    account = create_account(api)
    app.config["BCRYPT_ROUNDS"] = 5
    calls = _count_bcrypt(monkeypatch)
    for _ in range(3):
        assert api.get(f"/v1/user/{account.id}", headers=account.auth).status_code == 200
    assert len(calls) == 1
    assert _stored_hash(app, account.id).startswith("$2b$05$")


def test_login_keeps_the_hash_when_the_cost_is_current(api, app):
    account = create_account(api)
    stored = _stored_hash(app, account.id)
    assert api.get(f"/v1/user/{account.id}", headers=account.auth).status_code == 200
    assert _stored_hash(app, account.id) == stored


def test_rehash_never_undoes_a_concurrent_password_change(api, app, monkeypatch, database_url):
    # GIVEN a login that needs a re-hash, WHEN the password changes (another request)
    # while its bcrypt check runs, THEN the new password survives the re-hash.
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one transaction at a time (service/sqlite.py): no change can land")
    from sqlalchemy import update

    from service.extensions import db
    from service.models import User

    account = create_account(api)
    app.config["BCRYPT_ROUNDS"] = 5
    changed = bcrypt.hashpw(b"changed-meanwhile", bcrypt.gensalt(4)).decode()
    real = bcrypt.checkpw

    def check_while_the_password_changes(password, hashed):
        with db.engine.begin() as other_connection:
            other_connection.execute(
                update(User).where(User.id == account.id).values(password_hash=changed)
            )
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", check_while_the_password_changes)
    assert api.get(f"/v1/user/{account.id}", headers=account.auth).status_code == 200
    monkeypatch.setattr(bcrypt, "checkpw", real)
    assert _stored_hash(app, account.id) == changed
