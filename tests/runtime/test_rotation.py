"""The rotation function's four steps against moto's Secrets Manager and real MariaDB."""

from __future__ import annotations

import uuid

import pymysql
import pytest

from service.jobs import dbusers, migrate, rotate
from tests.conftest import MARIADB, admin_connection

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


@pytest.fixture
def migrated(cluster):
    migrate.handler({"action": "upgrade"}, None)
    return cluster


def run_step(client, cluster, token, step):
    event = {"SecretId": cluster.app_arn, "ClientRequestToken": token, "Step": step}
    rotate.handler(event, None, client=client)


def rotate_fully(client, cluster):
    token = str(uuid.uuid4())
    for step in STEPS:
        run_step(client, cluster, token, step)
    return token


def logs_in(cluster, secret):
    try:
        pymysql.connect(
            host=MARIADB["host"], port=MARIADB["port"], user=secret["username"],
            password=secret["password"], database=cluster.database, ssl_disabled=True,
        ).close()  # fmt: skip
    except pymysql.err.OperationalError:
        return False
    return True


def test_rotation_alternates_users_and_keeps_the_previous_credentials_working(
    migrated, rotation_client
):
    before = migrated.app_secret()
    rotate_fully(rotation_client, migrated)
    after = migrated.app_secret()
    assert after["username"] == f"{before['username']}_clone"
    assert after["password"] != before["password"]
    assert logs_in(migrated, after)
    assert logs_in(migrated, before)  # warm containers still hold these
    assert migrated.app_secret("AWSPREVIOUS") == before


def test_second_rotation_returns_to_the_first_user_with_a_new_password(migrated, rotation_client):
    first = migrated.app_secret()
    rotate_fully(rotation_client, migrated)
    second = migrated.app_secret()
    rotate_fully(rotation_client, migrated)
    third = migrated.app_secret()
    assert third["username"] == first["username"]
    assert third["password"] != first["password"]
    assert logs_in(migrated, third) and logs_in(migrated, second)
    assert not logs_in(migrated, first)  # two rotations later: replaced


def test_the_clone_gets_exactly_the_apps_grants(migrated, rotation_client):
    rotate_fully(rotation_client, migrated)
    connection = admin_connection()
    with connection.cursor() as cursor:
        original = dbusers.privileges_of(cursor, migrated.app_user)
        clone = dbusers.privileges_of(cursor, f"{migrated.app_user}_clone")
    connection.close()
    assert clone == original
    assert {p for p, _ in clone} == {"USAGE", "SELECT", "INSERT", "UPDATE", "DELETE"}


@pytest.mark.parametrize("repeated", STEPS)
def test_every_step_can_run_twice(migrated, rotation_client, repeated):
    token = str(uuid.uuid4())
    for step in STEPS:
        run_step(rotation_client, migrated, token, step)
        if step == repeated:
            snapshot = (migrated.app_secret(), _pending_or_none(migrated, token))
            run_step(rotation_client, migrated, token, step)
            assert (migrated.app_secret(), _pending_or_none(migrated, token)) == snapshot
    assert migrated.app_secret()["username"].endswith("_clone")
    assert logs_in(migrated, migrated.app_secret())


def _pending_or_none(cluster, token):
    import json

    import boto3

    client = boto3.client("secretsmanager")
    try:
        value = client.get_secret_value(SecretId=cluster.app_arn, VersionId=token)
    except client.exceptions.ResourceNotFoundException:
        return None
    return json.loads(value["SecretString"])


def test_finished_rotation_is_a_no_op_when_called_again(migrated, rotation_client):
    token = rotate_fully(rotation_client, migrated)
    current = migrated.app_secret()
    for step in STEPS:
        run_step(rotation_client, migrated, token, step)
    assert migrated.app_secret() == current


def test_failed_set_secret_leaves_awscurrent_intact(migrated, rotation_client, monkeypatch):
    before = migrated.app_secret()
    token = str(uuid.uuid4())
    run_step(rotation_client, migrated, token, "createSecret")
    # The admin credentials are wrong (e.g. the master secret was rotated mid-way).
    monkeypatch.setattr(dbusers, "set_password", _refuse)
    with pytest.raises(pymysql.err.OperationalError):
        run_step(rotation_client, migrated, token, "setSecret")
    assert migrated.app_secret() == before
    assert logs_in(migrated, before)
    with pytest.raises(pymysql.err.OperationalError):
        run_step(rotation_client, migrated, token, "testSecret")  # pending never worked
    assert migrated.app_secret() == before


def _refuse(*args, **kwargs):
    raise pymysql.err.OperationalError(1045, "Access denied for user 'admin'")


def test_unknown_step_and_stale_tokens_are_refused(migrated, rotation_client):
    with pytest.raises(rotate.RotationError, match="unknown step"):
        run_step(rotation_client, migrated, str(uuid.uuid4()), "dropEverything")
    with pytest.raises(rotate.RotationError, match="not AWSPENDING"):
        run_step(rotation_client, migrated, str(uuid.uuid4()), "setSecret")


def test_rotation_needs_rotation_enabled(migrated):
    import boto3

    with pytest.raises(rotate.RotationError, match="not enabled"):
        run_step(boto3.client("secretsmanager"), migrated, str(uuid.uuid4()), "createSecret")


def test_rotation_before_the_first_migration_is_refused(cluster, rotation_client):
    with pytest.raises(rotate.RotationError, match="run the migration job first"):
        run_step(rotation_client, cluster, str(uuid.uuid4()), "createSecret")
