"""The migration job against MariaDB and moto's Secrets Manager."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pymysql
import pytest

from service.jobs import dbusers, migrate
from tests.conftest import MARIADB, admin_connection

DML = {"SELECT", "INSERT", "UPDATE", "DELETE"}


def _tables(database):
    connection = admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA=%s", (database,)
        )
        names = {row[0] for row in cursor.fetchall()}
    connection.close()
    return names


def _privileges(user):
    connection = admin_connection()
    with connection.cursor() as cursor:
        found = dbusers.privileges_of(cursor, user)
    connection.close()
    return found


def test_upgrade_from_empty_creates_schema_and_app_user(cluster):
    result = migrate.handler({"action": "upgrade", "revision": "head"}, None)
    assert result["ok"] is True
    assert (result["before"], result["after"]) == (None, "0001")
    assert result["app_users"] == [cluster.app_user]
    assert _tables(cluster.database) == {"alembic_version", "users", "products", "product_images"}
    # The first password was generated and stored; it logs in.
    secret = cluster.app_secret()
    assert len(secret["password"]) == 32
    pymysql.connect(host=MARIADB["host"], port=MARIADB["port"], user=secret["username"],
                    password=secret["password"], database=cluster.database,
                    ssl_disabled=True).close()  # fmt: skip


def test_app_user_gets_exactly_dml_on_the_app_tables(cluster):
    migrate.handler({"action": "upgrade"}, None)
    expected = {("USAGE", "*.*")} | {
        (privilege, f"{cluster.database}.{table}")
        for privilege in DML
        for table in ("users", "products", "product_images")
    }
    assert _privileges(cluster.app_user) == expected


def test_extra_grants_are_revoked_and_the_rerun_is_idempotent(cluster):
    first = migrate.handler({"action": "upgrade"}, None)
    password = cluster.app_secret()["password"]
    connection = admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT DROP ON `{cluster.database}`.* TO %s@'%%'", (cluster.app_user,))
        cursor.execute(
            f"GRANT ALTER ON `{cluster.database}`.`users` TO %s@'%%'", (cluster.app_user,)
        )
    connection.close()
    second = migrate.handler({"action": "upgrade"}, None)
    assert (second["before"], second["after"]) == (first["after"], first["after"])
    assert cluster.app_secret()["password"] == password  # not regenerated
    privileges = _privileges(cluster.app_user)
    assert {p for p, _ in privileges} == DML | {"USAGE"}
    assert all(target != f"{cluster.database}.*" for _, target in privileges)


def test_current_and_history(cluster):
    assert migrate.handler({"action": "current"}, None)["after"] is None
    migrate.handler({"action": "upgrade"}, None)
    current = migrate.handler({"action": "current"}, None)
    assert (current["before"], current["after"]) == ("0001", "0001")
    history = migrate.handler({"action": "history"}, None)["history"]
    assert [h["revision"] for h in history] == ["0001"]


def test_upgrade_to_a_given_revision_and_back_to_base(cluster):
    assert migrate.handler({"action": "upgrade", "revision": "0001"}, None)["after"] == "0001"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"action": "downgrade"}, "unknown action"),
        ({"action": "upgrade", "revision": "head; DROP TABLE users"}, "not a revision"),
        ({"action": "upgrade", "sql": "DROP DATABASE x"}, "unknown event fields"),
        ({"action": "current", "revision": "0001"}, "takes no revision"),
        ([], "must be a JSON object"),
    ],
)
def test_anything_but_the_allowed_actions_is_refused(cluster, event, message):
    with pytest.raises(migrate.MigrationError, match=message):
        migrate.handler(event, None)
    assert _tables(cluster.database) == set()


def test_unknown_revision_fails_loudly_and_changes_nothing(cluster):
    from alembic.util.exc import CommandError

    with pytest.raises(CommandError):
        migrate.handler({"action": "upgrade", "revision": "9999"}, None)
    assert _tables(cluster.database) <= {"alembic_version"}


def test_missing_admin_secret_fails_loudly(cluster, monkeypatch):
    monkeypatch.delenv("DB_ADMIN_SECRET_ARN")
    with pytest.raises(migrate.MigrationError, match="DB_ADMIN_SECRET_ARN"):
        migrate.handler({"action": "upgrade"}, None)


def test_a_run_waits_for_the_lock_held_by_another(cluster):
    # GIVEN another run holds the migration lock
    holder = pymysql.connect(**MARIADB, ssl_disabled=True, database=cluster.database)
    with holder.cursor() as cursor:
        cursor.execute("SELECT GET_LOCK(%s, 0)", (migrate.LOCK_NAME,))
        assert cursor.fetchone()[0] == 1
    results = []
    worker = threading.Thread(target=lambda: results.append(migrate.handler({}, None)))
    # WHEN a second run starts
    worker.start()
    time.sleep(1.5)
    # THEN it waits without touching the schema, and finishes once the lock is free
    assert worker.is_alive()
    assert _tables(cluster.database) == set()
    with holder.cursor() as cursor:
        cursor.execute("SELECT RELEASE_LOCK(%s)", (migrate.LOCK_NAME,))
    holder.close()
    worker.join(timeout=60)
    assert results[0]["after"] == "0001"


def test_concurrent_runs_serialise_and_agree(cluster):
    results, errors = [], []

    def run():
        try:
            results.append(migrate.handler({"action": "upgrade"}, None))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    outcomes = Counter((r["before"], r["after"]) for r in results)
    assert outcomes == Counter({(None, "0001"): 1, ("0001", "0001"): 2})
