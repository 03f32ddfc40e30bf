"""The rotation function's four steps against moto's Secrets Manager and real MariaDB."""

from __future__ import annotations

import json
import secrets
import uuid

import pymysql
import pytest

from service.jobs import dbusers, rotate
from tests.support import privileges
from tests.support.cluster import logs_in
from tests.support.databases import MARIADB, admin_connection

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


def run_step(client, cluster, token, step):
    event = {"SecretId": cluster.app_arn, "ClientRequestToken": token, "Step": step}
    rotate.handler(event, None, client=client)


def rotate_fully(client, cluster):
    """One rotation as Secrets Manager runs it (tests.support.secrets_manager)."""
    return client.rotate(cluster.app_arn)


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
        original = dbusers.held_grants(cursor, migrated.app_user)
        clone = dbusers.held_grants(cursor, f"{migrated.app_user}_clone")
    connection.close()
    assert clone == original
    assert {g.privilege for g in clone} == {"SELECT", "INSERT", "UPDATE", "DELETE"}


@pytest.mark.parametrize("repeated", STEPS)
def test_every_step_can_run_twice(migrated, rotation_client, repeated):
    token = rotation_client.start_rotation(migrated.app_arn)
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
    rotation_client.resume(migrated.app_arn, token)
    assert migrated.app_secret() == current


def test_failed_set_secret_leaves_awscurrent_intact(migrated, rotation_client, monkeypatch):
    before = migrated.app_secret()
    token = rotation_client.start_rotation(migrated.app_arn)
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


def test_unknown_step_and_tokens_secrets_manager_never_issued_are_refused(
    migrated, rotation_client
):
    issued = rotation_client.start_rotation(migrated.app_arn)
    with pytest.raises(rotate.RotationError, match="unknown step"):
        run_step(rotation_client, migrated, issued, "dropEverything")
    stages = rotation_client.stages(migrated.app_arn)
    # As AWS's template: every step, createSecret included, checks the token's stages first.
    for step in STEPS:
        with pytest.raises(rotate.RotationError, match="no stage for rotation"):
            run_step(rotation_client, migrated, str(uuid.uuid4()), step)
    assert rotation_client.stages(migrated.app_arn) == stages  # nothing written for a stranger


def test_a_token_that_is_not_pending_is_refused(migrated, rotation_client):
    token = rotate_fully(rotation_client, migrated)
    rotate_fully(rotation_client, migrated)  # the first token is now AWSPREVIOUS
    with pytest.raises(rotate.RotationError, match="not AWSPENDING"):
        run_step(rotation_client, migrated, token, "setSecret")


def test_rotation_needs_rotation_enabled(migrated):
    import boto3

    with pytest.raises(rotate.RotationError, match="not enabled"):
        run_step(boto3.client("secretsmanager"), migrated, str(uuid.uuid4()), "createSecret")


def test_set_secret_refuses_a_pending_user_equal_to_the_current_one(migrated, rotation_client):
    # GIVEN a pending version that names the user in use (not written by our createSecret)
    current = migrated.app_secret()
    token = rotation_client.start_rotation(migrated.app_arn)
    rotation_client.put_secret_value(
        SecretId=migrated.app_arn, ClientRequestToken=token, VersionStages=["AWSPENDING"],
        SecretString=json.dumps({**current, "password": "another-Passw0rd-entirely"}),
    )  # fmt: skip
    # THEN setSecret refuses to change the password that every container uses
    with pytest.raises(rotate.RotationError, match="pending user is the current user"):
        run_step(rotation_client, migrated, token, "setSecret")
    assert logs_in(migrated, current)


@pytest.mark.parametrize(
    ("changed", "message"),
    [({"username": "somebody_else"}, "not the current user's twin"),
     ({"host": "db.elsewhere.example"}, "points elsewhere")],
)  # fmt: skip
def test_set_secret_refuses_a_pending_version_that_is_not_the_twin(
    migrated, rotation_client, changed, message
):
    current = migrated.app_secret()
    token = rotation_client.start_rotation(migrated.app_arn)
    pending = {**current, "username": f"{current['username']}_clone", "password": "x" * 20}
    rotation_client.put_secret_value(
        SecretId=migrated.app_arn, ClientRequestToken=token, VersionStages=["AWSPENDING"],
        SecretString=json.dumps({**pending, **changed}),
    )  # fmt: skip
    with pytest.raises(rotate.RotationError, match=message):
        run_step(rotation_client, migrated, token, "setSecret")


def test_create_secret_refuses_a_clone_name_longer_than_mysql_allows(migrated, rotation_client):
    # MySQL 8 / Aurora MySQL 3: user names of at most 32 characters; "_clone" adds 6.
    long_name = "u" * 27
    rotation_client.put_secret_value(
        SecretId=migrated.app_arn, VersionStages=["AWSCURRENT"],
        SecretString=json.dumps({**migrated.app_secret(), "username": long_name}),
    )  # fmt: skip
    token = rotation_client.start_rotation(migrated.app_arn)
    with pytest.raises(ValueError, match="user name"):
        run_step(rotation_client, migrated, token, "createSecret")
    assert _pending_or_none(migrated, token) is None


def test_the_clone_can_do_dml_and_nothing_else_whatever_it_held_before(migrated, rotation_client):
    # GIVEN the clone exists (first rotation), the secret is back on the first user,
    # and someone gave the clone far too much
    rotate_fully(rotation_client, migrated)
    rotate_fully(rotation_client, migrated)
    clone = f"{migrated.app_user}_clone"
    role = f"role_{secrets.token_hex(3)}"
    admin = admin_connection()
    with admin.cursor() as cursor:
        privileges.over_grant(cursor, user=clone, schema=migrated.database, role=role)
    try:
        # WHEN the next rotation moves to the clone
        rotate_fully(rotation_client, migrated)
        secret = migrated.app_secret()
        assert secret["username"] == clone

        def login():
            return pymysql.connect(
                host=MARIADB["host"], port=MARIADB["port"], user=clone,
                password=secret["password"], database=migrated.database, ssl_disabled=True,
            )  # fmt: skip

        # THEN logged in as the clone, DDL, GRANT, SET ROLE and CALL are denied; DML works
        forbidden = privileges.forbidden_statements(clone, migrated.database, role)
        after = privileges.outcomes(login, forbidden)
        assert all(code in privileges.DENIED for code in after.values()), after
        allowed = privileges.outcomes(login, privileges.ALLOWED_STATEMENTS)
        assert allowed == dict.fromkeys(privileges.ALLOWED_STATEMENTS)
    finally:
        with admin.cursor() as cursor:
            privileges.drop_role(cursor, role)
        admin.close()
