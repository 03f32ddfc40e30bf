"""The migration job: a one-off Lambda that CI invokes on every deploy.

Event: ``{"action": "upgrade", "revision": "head"}`` (or another revision),
``{"action": "current"}`` or ``{"action": "history"}``; nothing else is accepted.
It connects with the admin (master) secret, waiting for a paused Aurora to
resume (``dbwait``), holds a MySQL named lock so two runs never migrate at once,
and after an upgrade makes sure the API's least-privileged users exist with
exactly DML on the app tables, and that no stale AWSPENDING blocks rotation. It
returns the revision before and after, and raises on any problem, which the
caller sees as a Lambda FunctionError.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from service import MIGRATIONS_DIR
from service.config import from_env
from service.jobs import appsecret, dbusers, dbwait
from service.observability import configure_logging

logger = logging.getLogger(__name__)

LOCK_PREFIX = "migrations:"
LOCK_TIMEOUT_SECONDS = 120  # well inside the job's Lambda timeout (300 s in Terraform)
# Of the 300 s Lambda timeout: the lock wait and the migration itself come after connecting.
RESERVE_SECONDS = LOCK_TIMEOUT_SECONDS + 60
# Per statement: above the lock wait, below the Lambda timeout (DDL on a big table is slow).
QUERY_TIMEOUT_SECONDS = 240
_REVISION = re.compile(r"head|heads|base|[0-9A-Za-z_]{1,32}(?:[+-][0-9]{1,3})?")


class MigrationError(Exception):
    """The job did not do what it was asked; raised so the invocation fails loudly."""


@dataclass(frozen=True)
class Request:
    """A validated job request."""

    action: str
    revision: str = "head"


def parse_request(event: Any) -> Request:
    """Accept only the known actions; the revision must look like a revision."""
    if not isinstance(event, dict):
        raise MigrationError("the event must be a JSON object")
    unknown = set(event) - {"action", "revision"}
    if unknown:
        raise MigrationError(f"unknown event fields: {sorted(unknown)}")
    action = event.get("action", "upgrade")
    if action not in ("upgrade", "current", "history"):
        raise MigrationError(f"unknown action {action!r}; use upgrade, current or history")
    revision = event.get("revision", "head")
    if action != "upgrade" and "revision" in event:
        raise MigrationError(f"{action} takes no revision")
    if not isinstance(revision, str) or not _REVISION.fullmatch(revision):
        raise MigrationError(f"not a revision: {revision!r}")
    return Request(action, revision)


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    config.attributes["configure_logger"] = False
    return config


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None when empty)."""
    from alembic.migration import MigrationContext

    revision: str | None = MigrationContext.configure(connection).get_current_revision()
    return revision


def lock_name(schema: str) -> str:
    """The named lock of one schema's migrations.

    GET_LOCK names are server-wide: naming the schema keeps two databases on one
    server (staging and production on a shared cluster, parallel test runs) from
    queueing behind each other. MySQL caps lock names at 64 characters.
    """
    name = LOCK_PREFIX + schema
    if len(name) > 64:
        name = LOCK_PREFIX + hashlib.sha256(schema.encode()).hexdigest()[:40]
    return name


@contextmanager
def migration_lock(connection: Connection) -> Any:
    """Hold MySQL's named lock for the duration: a second run on this schema waits here."""
    name = lock_name(str(connection.exec_driver_sql("SELECT DATABASE()").scalar()))
    acquired = connection.execute(
        text("SELECT GET_LOCK(:name, :timeout)"),
        {"name": name, "timeout": LOCK_TIMEOUT_SECONDS},
    ).scalar()
    if acquired != 1:
        raise MigrationError(f"could not get the migration lock within {LOCK_TIMEOUT_SECONDS}s")
    try:
        yield
    finally:
        connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": name})


def _history() -> list[dict[str, Any]]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return [
        {"revision": s.revision, "down_revision": s.down_revision, "doc": s.doc}
        for s in script.walk_revisions()
    ]


def ensure_app_users(connection: Connection, app_secret_arn: str, schema: str) -> list[str]:
    """Make the API's accounts usable: a password on first deploy, exactly DML grants.

    The application secret starts without a password (nothing secret in Terraform
    state); the first run generates one, sets it on the account, then stores it
    as the secret's AWSCURRENT version. A stale AWSPENDING, which would stop
    Secrets Manager from ever rotating again, is released.
    """
    import boto3

    client = boto3.client("secretsmanager")
    secret = appsecret.read(client, app_secret_arn)
    username = secret["username"]
    pair = (username, dbusers.twin(username))  # both names checked before any change
    cursor = connection.connection.cursor()
    try:
        if not appsecret.has_password(secret):
            secret["password"] = appsecret.random_password(client)
            dbusers.set_password(cursor, username, secret["password"])
            client.put_secret_value(
                SecretId=app_secret_arn,
                SecretString=json.dumps(secret),
                VersionStages=[appsecret.CURRENT],
            )
            logger.info("created the application user %s and stored its first password", username)
        elif not dbusers.user_exists(cursor, username):
            dbusers.set_password(cursor, username, secret["password"])  # e.g. a restored cluster
            logger.info("re-created the application user %s from its secret", username)
        tables = dbusers.app_tables(cursor, schema)
        users = [user for user in pair if dbusers.user_exists(cursor, user)]
        for user in users:
            dbusers.set_privileges(cursor, user, schema, tables)
    finally:
        cursor.close()
    appsecret.release_stale_pending(client, app_secret_arn)
    return sorted(users)


def admin_engine(config: dict[str, Any], wait_seconds: float) -> Engine:
    """An engine on the admin secret's account; each connection waits for the database."""
    import boto3

    admin = appsecret.read(boto3.client("secretsmanager"), config["DB_ADMIN_SECRET_ARN"])

    def connect() -> Any:
        return dbwait.connect(
            admin,
            config,
            budget=wait_seconds,
            autocommit=False,  # SQLAlchemy and Alembic manage the transactions
            query_timeout=QUERY_TIMEOUT_SECONDS,
        )

    # NullPool: a one-off job keeps no connection.
    return create_engine(
        "mysql+pymysql://", creator=connect, poolclass=NullPool, hide_parameters=True
    )


def run(
    request: Request, config: dict[str, Any], *, wait_seconds: float = dbwait.WAIT_SECONDS
) -> dict[str, Any]:
    """Carry out a request against the database the admin secret points at."""
    engine = admin_engine(config, wait_seconds)
    try:
        with engine.connect() as connection, migration_lock(connection):
            return _carry_out(request, config, connection)
    finally:
        engine.dispose()


def _carry_out(request: Request, config: dict[str, Any], connection: Connection) -> dict[str, Any]:
    from alembic import command

    result: dict[str, Any] = {
        "ok": True,
        "action": request.action,
        "before": current_revision(connection),
    }
    if request.action == "upgrade":
        command.upgrade(_alembic_config(connection), request.revision)
        connection.commit()
        if config.get("DB_SECRET_ARN"):
            schema = str(connection.exec_driver_sql("SELECT DATABASE()").scalar())
            result["app_users"] = ensure_app_users(connection, config["DB_SECRET_ARN"], schema)
    elif request.action == "history":
        result["history"] = _history()
    result["after"] = current_revision(connection)
    return result


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point; any exception propagates and fails the invocation."""
    config = from_env()
    configure_logging(
        config["LOG_LEVEL"], json_logs=config["LOG_JSON"], service=config["SERVICE_NAME"]
    )
    request = parse_request(event)
    if not config.get("DB_ADMIN_SECRET_ARN"):
        raise MigrationError("DB_ADMIN_SECRET_ARN is not set")
    logger.info("migration job: %s %s", request.action, request.revision)
    wait_seconds = dbwait.budget_for(context, reserve=RESERVE_SECONDS)
    result = run(request, config, wait_seconds=wait_seconds)
    logger.info("migration job done: %s", {k: result[k] for k in ("action", "before", "after")})
    return result
