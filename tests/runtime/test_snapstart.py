"""SnapStart hooks (issue 12): the runtime's part played in-process. Init, the
before-snapshot hooks, then two restores of the same snapshot (two ``fork()``s: two
copies of this process's memory, as two execution environments restored from one
snapshot), each running the after-restore hooks and its first requests."""

from __future__ import annotations

import gc
import json
import os
import random
import traceback

import pytest
import snapshot_restore_py
from sqlalchemy import text

from service import create_app, snapstart
from service.extensions import db
from service.jobs import migrate
from tests.support.factories import create_account
from tests.support.transport import ApiClient

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")


@pytest.fixture
def app(cluster, tmp_path, monkeypatch):
    """Init as on Lambda: the secret's ARN only, hooks registered with the runtime library."""
    migrate.handler({"action": "upgrade"}, None)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"BCRYPT_ROUNDS": 4, "IMAGES_DIR": str(tmp_path), "DATABASE_URL": None})
    assert snapstart.register(app)
    yield app
    gc.unfreeze()  # before_snapshot froze this (pytest's) heap
    for registry in _registries():
        registry[:] = [entry for entry in registry if entry[1] != (app,)]


def _registries():
    return (
        snapshot_restore_py._before_snapshot_registry,
        snapshot_restore_py._after_restore_registry,
    )


def _hooks(registry, app):
    return [(func, args, kwargs) for func, args, kwargs in registry if args == (app,)]


_SNAPSHOT_STORE: list[object] = [None]  # the store init built; forked copies compare to it


def _connection_id(app):
    with app.app_context():
        found = db.session.execute(text("SELECT CONNECTION_ID()")).scalar()
        db.session.remove()
    return found


def _state(app, api, account):
    """What a restored environment holds, after its first requests."""
    me = api.get(f"/v1/user/{account.id}", headers=account.auth)
    product = api.get("/v1/product/999999")
    return {
        "statuses": [me.status_code, product.status_code],
        "connection_id": _connection_id(app),
        "hmac_key": app.extensions["credential_cache"]._key.hex(),
        "random": random.random(),
        # The image store (and its URL signer) is built anew, never the snapshot's one.
        "new_image_store": app.extensions["image_store"] is not _SNAPSHOT_STORE[0],
        "secret_fetched_at": app.extensions["db_secrets"]._fetched_at,
    }


def _restore_copy(app, api, account):
    """Fork: the child is a restored copy; it runs the after-restore hooks like the runtime
    (in registration order), serves its first requests and reports what it holds."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the restored copy
        os.close(read)
        try:
            for func, args, kwargs in _hooks(snapshot_restore_py._after_restore_registry, app):
                func(*args, **kwargs)
            result = _state(app, api, account)
        except BaseException:
            result = {"error": traceback.format_exc()}
        with os.fdopen(write, "w") as pipe:
            json.dump(result, pipe)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        result = json.load(pipe)
    os.waitpid(pid, 0)
    assert "error" not in result, result.get("error")
    return result


def test_restored_copies_share_no_connection_key_or_random_state(app, capsys):
    api = ApiClient(app, "apigw_v1")
    account = create_account(api)
    # GIVEN init left a pooled connection, a cached secret and warm credentials behind
    assert api.get(f"/v1/user/{account.id}", headers=account.auth).status_code == 200
    snapshot_connection = _connection_id(app)
    snapshot_key = app.extensions["credential_cache"]._key.hex()
    snapshot_secret_read = app.extensions["db_secrets"]._fetched_at
    _SNAPSHOT_STORE[0] = app.extensions["image_store"]
    # WHEN the runtime runs the before-snapshot hooks (reverse registration order) ...
    for func, args, kwargs in reversed(_hooks(snapshot_restore_py._before_snapshot_registry, app)):
        timings = func(*args, **kwargs)
    with capsys.disabled():
        print(f"\nbefore-snapshot hook: {timings}")
    # ... and restores the snapshot twice
    first, second = _restore_copy(app, api, account), _restore_copy(app, api, account)
    # THEN each copy serves its first requests (an authenticated one, a missing product)
    assert first["statuses"] == second["statuses"] == [200, 404]
    # on a connection of its own, not the snapshot's
    ids = {snapshot_connection, first["connection_id"], second["connection_id"]}
    assert len(ids) == 3
    # with its own HMAC key, random sequence and image store, and a secret read anew
    assert len({snapshot_key, first["hmac_key"], second["hmac_key"]}) == 3
    assert first["random"] != second["random"]
    assert first["new_image_store"] and second["new_image_store"]
    assert first["secret_fetched_at"] > snapshot_secret_read
    assert second["secret_fetched_at"] > snapshot_secret_read


def test_before_snapshot_opens_no_connection(app):
    # The snapshot must not contain a live connection: the hook leaves the pool empty.
    ApiClient(app, "apigw_v1").get("/healthz")
    snapstart.before_snapshot(app)
    with app.app_context():
        assert db.engine.pool.checkedin() == 0


def test_register_is_a_no_op_without_the_runtime_library(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_library(name, *args, **kwargs):
        if name == "snapshot_restore_py":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_library)
    assert snapstart.register(create_app({"DATABASE_URL": "sqlite://"})) is False
