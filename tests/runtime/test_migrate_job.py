"""The migration job against MariaDB and moto's Secrets Manager."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import Counter

import pymysql
import pytest

from service.jobs import dbusers, migrate
from tests.support import privileges
from tests.support.databases import MARIADB, admin_connection, unique_name

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
    """(privilege, target) pairs the account holds, backticks removed."""
    connection = admin_connection()
    with connection.cursor() as cursor:
        grants = dbusers.held_grants(cursor, user)
    found = {(grant.privilege, grant.target.replace("`", "")) for grant in grants}
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
    expected = {
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
    assert {p for p, _ in privileges} == DML
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


def _wait_until_waiting_for_the_lock(database, timeout=30.0):
    """Until a session of ``database`` is blocked in GET_LOCK (the server says so)."""
    deadline = time.monotonic() + timeout
    connection = admin_connection()
    try:
        with connection.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                    " WHERE DB = %s AND INFO LIKE 'SELECT GET_LOCK%%'",
                    (database,),
                )
                if cursor.fetchone()[0]:
                    return
                time.sleep(0.02)
    finally:
        connection.close()
    pytest.fail(f"no session of {database} waited for the migration lock")


def test_a_run_waits_for_the_lock_held_by_another(cluster):
    # GIVEN another run holds the migration lock
    holder = pymysql.connect(**MARIADB, ssl_disabled=True, database=cluster.database)
    with holder.cursor() as cursor:
        cursor.execute("SELECT GET_LOCK(%s, 0)", (migrate.lock_name(cluster.database),))
        assert cursor.fetchone()[0] == 1
    results = []
    worker = threading.Thread(target=lambda: results.append(migrate.handler({}, None)))
    # WHEN a second run starts
    worker.start()
    _wait_until_waiting_for_the_lock(cluster.database)
    # THEN it waits without touching the schema, and finishes once the lock is free
    assert worker.is_alive()
    assert _tables(cluster.database) == set()
    with holder.cursor() as cursor:
        cursor.execute("SELECT RELEASE_LOCK(%s)", (migrate.lock_name(cluster.database),))
    holder.close()
    worker.join(timeout=60)
    assert results[0]["after"] == "0001"


def test_a_lock_on_another_schema_does_not_hold_a_run_back(cluster):
    # GIVEN a migration of another database on the same server holds its lock (a name
    # of this test's own: lock names are server-wide, shared with concurrent runs)
    holder = pymysql.connect(**MARIADB, ssl_disabled=True)
    with holder.cursor() as cursor:
        cursor.execute("SELECT GET_LOCK(%s, 0)", (migrate.lock_name(unique_name("other")),))
        assert cursor.fetchone()[0] == 1
    try:
        # WHEN this database is migrated THEN it does not wait for the other one
        assert migrate.handler({}, None)["after"] == "0001"
    finally:
        holder.close()


def test_lock_names_fit_mysql_64_character_limit():
    assert migrate.lock_name("inventory") == "migrations:inventory"
    long_names = {migrate.lock_name("s" * 64), migrate.lock_name("s" * 63 + "t")}
    assert len(long_names) == 2 and all(len(name) <= 64 for name in long_names)


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


def test_a_wildcard_schema_grant_with_a_percent_sign_is_revoked(cluster):
    # GIVEN an extra grant whose target holds `%` (a wildcard schema name), as SHOW GRANTS prints it
    migrate.handler({"action": "upgrade"}, None)
    pattern = f"{cluster.database[:8]}%"
    connection = admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT SELECT, DROP ON `{pattern}`.* TO `{cluster.app_user}`@`%`")
    connection.close()
    # WHEN the job runs again THEN it neither crashes on the `%` nor leaves the grant
    migrate.handler({"action": "upgrade"}, None)
    assert all(pattern not in target for _, target in _privileges(cluster.app_user))


def test_a_user_name_with_a_trailing_newline_is_refused(cluster):
    import boto3

    boto3.client("secretsmanager").put_secret_value(
        SecretId=cluster.app_arn,
        SecretString=json.dumps({**cluster.app_secret(), "username": cluster.app_user + "\n"}),
        VersionStages=["AWSCURRENT"],
    )
    with pytest.raises(ValueError, match="user name"):
        migrate.handler({"action": "upgrade"}, None)
    connection = admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM mysql.user WHERE User LIKE %s", (f"{cluster.app_user}%",)
        )
        assert cursor.fetchone()[0] == 0
    connection.close()


def test_a_revision_with_a_trailing_newline_is_refused(cluster):
    with pytest.raises(migrate.MigrationError, match="not a revision"):
        migrate.handler({"action": "upgrade", "revision": "head\n"}, None)
    assert _tables(cluster.database) == set()


def _login(cluster, secret):
    return lambda: pymysql.connect(
        host=MARIADB["host"], port=MARIADB["port"], user=secret["username"],
        password=secret["password"], database=cluster.database, ssl_disabled=True,
    )  # fmt: skip


@pytest.fixture
def over_granted(cluster):
    """The app user after a first run, then given far too much by hand (see over_grant)."""
    migrate.handler({"action": "upgrade"}, None)
    role = f"role_{secrets.token_hex(3)}"
    connection = admin_connection()
    with connection.cursor() as cursor:
        privileges.over_grant(cursor, user=cluster.app_user, schema=cluster.database, role=role)
    yield cluster, role
    with connection.cursor() as cursor:
        privileges.drop_role(cursor, role)
    connection.close()


def test_the_app_user_can_do_dml_and_nothing_else_whatever_it_held_before(over_granted):
    cluster, role = over_granted
    login = _login(cluster, cluster.app_secret())
    forbidden = privileges.forbidden_statements(cluster.app_user, cluster.database, role)
    # GIVEN the grants work: the default role allows DDL, the grant option allows GRANT
    harmless = ("create table", "grant", "set role", "call")
    before = privileges.outcomes(login, {name: forbidden[name] for name in harmless})
    assert before == dict.fromkeys(harmless), before
    connection = admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE `{cluster.database}`.probe_created")
    connection.close()
    # WHEN the job runs again
    migrate.handler({"action": "upgrade"}, None)
    # THEN logged in as the app user, every DDL, GRANT, SET ROLE and CALL is denied
    after = privileges.outcomes(login, forbidden)
    assert all(code in privileges.DENIED for code in after.values()), after
    # AND it keeps exactly its DML
    allowed = privileges.outcomes(login, privileges.ALLOWED_STATEMENTS)
    assert allowed == dict.fromkeys(privileges.ALLOWED_STATEMENTS)
    assert {p for p, _ in _privileges(cluster.app_user)} == DML
