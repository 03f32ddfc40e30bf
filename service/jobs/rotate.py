"""Secrets Manager rotation for the API's database user, alternating ``app`` / ``app_clone``.

Secrets Manager calls this function with ``ClientRequestToken`` (the id of the
new version, which it has already labelled AWSPENDING) and ``Step``:
createSecret, setSecret, testSecret, finishSecret. Every step is idempotent:
Secrets Manager retries failed steps. The checks follow AWS's multi-user MySQL
template (https://github.com/aws-samples/aws-secrets-manager-rotation-lambdas,
folder SecretsManagerRDSMySQLRotationMultiUser).
https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets_strategies.html

State machine (T = the token's version, C = AWSCURRENT; "bootstrapped" = C has
a password, which only the migration job gives it the first time):

- every step: T must be listed with AWSPENDING (a token Secrets Manager never
  issued is refused); T already AWSCURRENT, or a placeholder whose AWSPENDING
  the migration job released -> nothing to do.
- createSecret: T has a value -> nothing (a retry). C bootstrapped -> T := C
  with the other user of the pair and a new password. C not bootstrapped ->
  T := a copy of C, a placeholder: there is nothing to rotate yet.
- setSecret: T without password -> nothing. T's user equal to C's, or not its
  twin, or T differing from C in anything but user and password -> refused.
  Else, as the admin: create/alter T's user with T's password, exactly DML.
- testSecret: T without password -> nothing to test. Else log in as T's user
  and read the app's table. This step is also Secrets Manager's configuration
  test: enabling rotation with RotateImmediately=false creates an AWSPENDING
  copy of the secret, runs testSecret on it, and removes it
  (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html),
  so it passes before the first migration (no password yet) and after it.
- finishSecret: T without password -> take AWSPENDING off T and leave C as it
  is (a placeholder is never promoted, so the migration job's first password
  cannot be replaced by a password-less copy). Else move AWSCURRENT to T (C
  becomes AWSPREVIOUS).

Hence the first apply and the first scheduled rotation both succeed, whether
they come before or after the first migration, and no rotation leaves
AWSPENDING on a version other than AWSCURRENT. A stale one left by an older
release is released by the migration job (``appsecret.release_stale_pending``),
or by the steps above when Secrets Manager retries that rotation.

Database connections wait for a paused Aurora to resume (``dbwait``), within
this invocation's remaining time.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import boto3
import pymysql

from service.config import from_env
from service.jobs import appsecret, dbusers, dbwait
from service.jobs.appsecret import CURRENT, PENDING
from service.observability import configure_logging

logger = logging.getLogger(__name__)

RESERVE_SECONDS = 30.0  # of the 120 s Lambda timeout, kept for the work after connecting
QUERY_TIMEOUT_SECONDS = 30  # per statement: a few grants and a SELECT
ACCESS_DENIED = 1045


class RotationError(Exception):
    """The rotation cannot proceed; Secrets Manager will retry the step."""


@dataclass(frozen=True)
class Rotation:
    """One step's invocation: the secret, the new version, and how long it may wait."""

    client: Any
    arn: str
    token: str
    config: dict[str, Any]
    context: Any = None

    def current(self) -> dict[str, Any]:
        return appsecret.read(self.client, self.arn, CURRENT)

    def pending(self) -> dict[str, Any] | None:
        """The new version's value; None while Secrets Manager's version is still empty."""
        try:
            return appsecret.read(self.client, self.arn, PENDING, self.token)
        except self.client.exceptions.ResourceNotFoundException:
            return None

    def require_pending(self) -> dict[str, Any]:
        pending = self.pending()
        if pending is None:
            raise RotationError(f"version {self.token} has no value: createSecret has not run")
        return pending

    def connect(self, secret: dict[str, Any]) -> Any:
        budget = dbwait.budget_for(self.context, reserve=RESERVE_SECONDS)
        return dbwait.connect(
            secret, self.config, budget=budget, query_timeout=QUERY_TIMEOUT_SECONDS
        )


def create_secret(rotation: Rotation) -> None:
    """New version: the other user of the pair with a fresh password (or a placeholder)."""
    if rotation.pending() is not None:
        return
    current = rotation.current()
    if appsecret.has_password(current):
        pending = {**current, "username": dbusers.twin(current["username"])}
        pending["password"] = appsecret.random_password(rotation.client)
        what = f"user {pending['username']}"
    else:
        pending = current
        what = "a placeholder (the secret has no password until the migration job runs)"
    rotation.client.put_secret_value(
        SecretId=rotation.arn,
        ClientRequestToken=rotation.token,
        SecretString=json.dumps(pending),
        VersionStages=[PENDING],
    )
    logger.info("createSecret: version %s holds %s", rotation.token, what)


def _without_credentials(secret: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in secret.items() if k not in ("username", "password")}


def _check_alternates(pending: dict[str, Any], current: dict[str, Any]) -> None:
    """The template's guards: only ever change the *other* user, on the same database."""
    if pending["username"] == current["username"]:
        raise RotationError("the pending user is the current user: refusing to change its password")
    if pending["username"] != dbusers.twin(current["username"]):
        raise RotationError("the pending user is not the current user's twin")
    if _without_credentials(pending) != _without_credentials(current):
        raise RotationError("the pending version points elsewhere than the current one")


def _logs_in(rotation: Rotation, secret: dict[str, Any]) -> bool:
    try:
        rotation.connect(secret).close()
    except pymysql.err.OperationalError as error:
        if error.args[0] != ACCESS_DENIED:
            raise
        return False
    return True


def set_secret(rotation: Rotation) -> None:
    """Give the pending user its password and exactly the API's grants, as the admin."""
    pending = rotation.require_pending()
    if not appsecret.has_password(pending):
        logger.info("setSecret: placeholder version %s, nothing to set", rotation.token)
        return
    _check_alternates(pending, rotation.current())
    config = rotation.config
    admin = appsecret.read(rotation.client, config["DB_ADMIN_SECRET_ARN"], CURRENT)
    connection = rotation.connect(admin)
    try:
        with connection.cursor() as cursor:
            schema = pending.get("dbname") or config["DB_NAME"]
            exists = dbusers.user_exists(cursor, pending["username"])
            if not (exists and _logs_in(rotation, pending)):
                dbusers.set_password(cursor, pending["username"], pending["password"])
            dbusers.set_privileges(
                cursor, pending["username"], schema, dbusers.app_tables(cursor, schema)
            )
    finally:
        connection.close()
    logger.info("setSecret: user %s is ready", pending["username"])


def test_secret(rotation: Rotation) -> None:
    """Log in with the pending credentials and use the API's tables."""
    pending = rotation.require_pending()
    if not appsecret.has_password(pending):
        logger.info("testSecret: version %s has no password yet, nothing to test", rotation.token)
        return
    connection = rotation.connect(pending)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM users LIMIT 1")
            cursor.fetchall()
    finally:
        connection.close()
    logger.info("testSecret: user %s logs in and reads", pending["username"])


def finish_secret(rotation: Rotation) -> None:
    """Make the new version AWSCURRENT; a placeholder only gives up AWSPENDING."""
    client, arn, token = rotation.client, rotation.arn, rotation.token
    if not appsecret.has_password(rotation.require_pending()):
        client.update_secret_version_stage(
            SecretId=arn, VersionStage=PENDING, RemoveFromVersionId=token
        )
        logger.info("finishSecret: placeholder version %s released, AWSCURRENT kept", token)
        return
    versions = client.describe_secret(SecretId=arn).get("VersionIdsToStages", {})
    current = next((v for v, labels in versions.items() if CURRENT in labels), None)
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


def _should_run(rotation: Rotation, step: str) -> bool:
    """False when the token is already AWSCURRENT (nothing to do); raise when it is unusable.

    As the template: the token must be a version Secrets Manager created and
    labelled AWSPENDING. Steps that change something need rotation enabled;
    testSecret changes nothing and also runs as the configuration test.
    """
    metadata = rotation.client.describe_secret(SecretId=rotation.arn)
    if step != "testSecret" and not metadata.get("RotationEnabled"):
        raise RotationError(f"rotation is not enabled for {rotation.arn}")
    labels = metadata.get("VersionIdsToStages", {}).get(rotation.token)
    if labels is None:
        raise RotationError(f"version {rotation.token} has no stage for rotation of {rotation.arn}")
    if CURRENT in labels:
        return False
    if PENDING not in labels:
        if _is_released_placeholder(rotation):
            return False
        raise RotationError(f"version {rotation.token} is not AWSPENDING for {rotation.arn}")
    return True


def _is_released_placeholder(rotation: Rotation) -> bool:
    """A placeholder whose AWSPENDING the migration job released: nothing left to do."""
    try:
        value = json.loads(
            rotation.client.get_secret_value(SecretId=rotation.arn, VersionId=rotation.token)[
                "SecretString"
            ]
        )
    except rotation.client.exceptions.ResourceNotFoundException:
        return False
    return isinstance(value, dict) and not appsecret.has_password(value)


def handler(event: dict[str, Any], context: Any, client: Any = None) -> None:
    """Lambda entry point called by Secrets Manager."""
    config = from_env()
    configure_logging(
        config["LOG_LEVEL"], json_logs=config["LOG_JSON"], service=config["SERVICE_NAME"]
    )
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    if step not in STEPS:
        raise RotationError(f"unknown step {step!r}")
    if not config.get("DB_ADMIN_SECRET_ARN"):
        raise RotationError("DB_ADMIN_SECRET_ARN is not set")
    rotation = Rotation(client or boto3.client("secretsmanager"), arn, token, config, context)
    if not _should_run(rotation, step):
        logger.info("%s: version %s is already AWSCURRENT", step, token)
        return
    STEPS[step](rotation)
