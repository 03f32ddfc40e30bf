"""Secrets Manager rotation for the API's database user, alternating ``app`` / ``app_clone``.

Secrets Manager calls this function four times per rotation, with the same
``ClientRequestToken`` (the new version's id) and ``Step`` set to createSecret,
setSecret, testSecret and finishSecret. Every step is idempotent: Secrets
Manager retries failed steps, and a step that already happened changes nothing.

Alternating users: the new version names the user that is *not* current and
gives it a new password, so the previous credentials, still cached by warm
containers, keep working until the rotation after next.
https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets_strategies.html
"""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import pymysql

from service.config import from_env
from service.jobs import dbusers
from service.jobs.migrate import _random_password
from service.observability import configure_logging

logger = logging.getLogger(__name__)

PENDING, CURRENT = "AWSPENDING", "AWSCURRENT"


class RotationError(Exception):
    """The rotation cannot proceed; Secrets Manager will retry the step."""


def _get(client: Any, arn: str, stage: str, token: str | None = None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"SecretId": arn, "VersionStage": stage}
    if token:
        kwargs["VersionId"] = token
    value: dict[str, Any] = json.loads(client.get_secret_value(**kwargs)["SecretString"])
    return value


def _pending(client: Any, arn: str, token: str) -> dict[str, Any] | None:
    try:
        return _get(client, arn, PENDING, token)
    except client.exceptions.ResourceNotFoundException:
        return None


def create_secret(client: Any, arn: str, token: str, config: dict[str, Any]) -> None:
    """New version (AWSPENDING): the other user of the pair, with a fresh password."""
    if _pending(client, arn, token) is not None:
        return
    current = _get(client, arn, CURRENT)
    if "password" not in current:
        raise RotationError("the secret has no password yet: run the migration job first")
    pending = {**current, "username": dbusers.twin(current["username"])}
    pending["password"] = _random_password(client)
    client.put_secret_value(
        SecretId=arn,
        ClientRequestToken=token,
        SecretString=json.dumps(pending),
        VersionStages=[PENDING],
    )
    logger.info("createSecret: new version %s for user %s", token, pending["username"])


def _works(secret: dict[str, Any], config: dict[str, Any]) -> bool:
    try:
        connection = dbusers.connect(secret, config)
    except pymysql.err.OperationalError:
        return False
    connection.close()
    return True


def set_secret(client: Any, arn: str, token: str, config: dict[str, Any]) -> None:
    """Give the pending user its password and the API's grants, as the admin."""
    pending = _pending(client, arn, token)
    if pending is None:
        raise RotationError(f"no AWSPENDING version {token}")
    current = _get(client, arn, CURRENT)
    if pending["username"] not in (current["username"], dbusers.twin(current["username"])):
        raise RotationError("the pending user is not one of the alternating pair")
    admin = _get(client, config["DB_ADMIN_SECRET_ARN"], CURRENT)
    connection = dbusers.connect(admin, config)
    try:
        with connection.cursor() as cursor:
            schema = pending.get("dbname") or config["DB_NAME"]
            if not (dbusers.user_exists(cursor, pending["username"]) and _works(pending, config)):
                dbusers.set_password(cursor, pending["username"], pending["password"])
            tables = dbusers.app_tables(cursor, schema)
            dbusers.set_privileges(cursor, pending["username"], schema, tables)
    finally:
        connection.close()
    logger.info("setSecret: user %s is ready", pending["username"])


def test_secret(client: Any, arn: str, token: str, config: dict[str, Any]) -> None:
    """Log in with the pending credentials and use the API's tables."""
    pending = _pending(client, arn, token)
    if pending is None:
        raise RotationError(f"no AWSPENDING version {token}")
    connection = dbusers.connect(pending, config)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM users LIMIT 1")
            cursor.fetchall()
    finally:
        connection.close()
    logger.info("testSecret: user %s logs in and reads", pending["username"])


def finish_secret(client: Any, arn: str, token: str, config: dict[str, Any]) -> None:
    """Make the new version AWSCURRENT (the old one becomes AWSPREVIOUS)."""
    versions = client.describe_secret(SecretId=arn)["VersionIdsToStages"]
    current = next((v for v, stages in versions.items() if CURRENT in stages), None)
    if current == token:
        return
    client.update_secret_version_stage(
        SecretId=arn, VersionStage=CURRENT, MoveToVersionId=token, RemoveFromVersionId=current
    )
    logger.info("finishSecret: version %s is now AWSCURRENT", token)


STEPS = {
    "createSecret": create_secret,
    "setSecret": set_secret,
    "testSecret": test_secret,
    "finishSecret": finish_secret,
}


def _should_run(client: Any, arn: str, token: str, step: str) -> bool:
    """False when the token is already AWSCURRENT (nothing to do); raise when it is unusable.

    Secrets Manager registers the token as AWSPENDING before createSecret; a
    token it does not know yet is accepted only there.
    """
    metadata = client.describe_secret(SecretId=arn)
    if not metadata.get("RotationEnabled"):
        raise RotationError(f"rotation is not enabled for {arn}")
    stages = metadata.get("VersionIdsToStages", {}).get(token)
    if stages is not None and CURRENT in stages:
        return False
    if step != "createSecret" and (stages is None or PENDING not in stages):
        raise RotationError(f"version {token} is not AWSPENDING for {arn}")
    return True


def handler(event: dict[str, Any], context: Any, client: Any = None) -> None:
    """Lambda entry point called by Secrets Manager."""
    config = from_env()
    configure_logging(config["LOG_LEVEL"], json_logs=config["LOG_JSON"])
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    if step not in STEPS:
        raise RotationError(f"unknown step {step!r}")
    if not config.get("DB_ADMIN_SECRET_ARN"):
        raise RotationError("DB_ADMIN_SECRET_ARN is not set")
    client = client or boto3.client("secretsmanager")
    if not _should_run(client, arn, token, step):
        logger.info("%s: version %s is already AWSCURRENT", step, token)
        return
    STEPS[step](client, arn, token, config)
