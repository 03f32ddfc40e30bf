"""Fault injection helpers: AWS errors at botocore's send step, killed MySQL connections,
lost commit replies, and the consistency check every fault test ends with."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import boto3
import pymysql
from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import MockRawResponse
from pymysql.constants import COMMAND
from sqlalchemy import select

from service.extensions import db
from service.models import ProductImage
from tests.support.aws import retries_without_waiting
from tests.support.databases import admin_connection
from tests.support.statements import query_text, watch_commands

ERROR_XML = b"<Error><Code>{code}</Code><Message>injected fault</Message></Error>"


@contextlib.contextmanager
def aws_errors(
    client: Any, operation: str, *, status: int = 500, code: str = "InternalError", times: int = -1
) -> Iterator[list[int]]:
    """Answer ``operation`` (e.g. "s3.PutObject") with an HTTP error ``times`` times (-1: always).

    The response goes through botocore's parsing and retry logic like a real one.
    Yields a one-item list counting the injected failures.
    """
    failures = [0]
    body = ERROR_XML.replace(b"{code}", code.encode())
    if operation.startswith("secretsmanager."):
        body = b'{"__type": "%s", "message": "injected fault"}' % code.encode()

    def fail(request: Any, **_: Any) -> AWSResponse | None:
        if times >= 0 and failures[0] >= times:
            return None
        failures[0] += 1
        # botocore calls every before-send handler and uses the first answer; moto's
        # handler (registered after this one) would still carry out the request unless
        # it no longer looks like one for AWS.
        url, request.url = request.url, "http://fault-injected.invalid/"
        return AWSResponse(url, status, {}, MockRawResponse(body))

    name = f"before-send.{operation}"
    client.meta.events.register_first(name, fail)
    try:
        with retries_without_waiting():  # botocore still retries; only its sleeps go
            yield failures
    finally:
        client.meta.events.unregister(name, fail)


def kill(thread_id: int) -> None:
    """``KILL CONNECTION`` from an admin session: the database drops that client."""
    connection = admin_connection()
    with connection.cursor() as cursor, contextlib.suppress(pymysql.err.OperationalError):
        cursor.execute(f"KILL CONNECTION {int(thread_id)}")
    connection.close()


@contextlib.contextmanager
def kill_before(engine: Any, statement_prefix: str) -> Iterator[list[int]]:
    """Kill the connection right before a statement starting with ``statement_prefix`` is
    sent (seen on the wire: through SQLAlchemy's Connection or a direct read alike)."""
    killed: list[int] = []

    def before(connection: Any, command: int, sql: Any) -> None:
        if command != COMMAND.COM_QUERY or killed:
            return
        if query_text(sql).upper().startswith(statement_prefix):
            killed.append(connection.thread_id())
            kill(connection.thread_id())

    with watch_commands(engine, before):
        yield killed


@contextlib.contextmanager
def commit_reply_lost(engine: Any) -> Iterator[list[int]]:
    """The next COMMIT reaches the server and commits, then the connection dies before the
    client reads the reply: the client cannot know the outcome (an ambiguous commit)."""
    dialect = engine.dialect
    original = dialect.do_commit
    hits: list[int] = []

    def do_commit(dbapi_connection: Any) -> None:
        original(dbapi_connection)
        if not hits:
            hits.append(dbapi_connection.thread_id())
            kill(dbapi_connection.thread_id())
            raise pymysql.err.OperationalError(2013, "Lost connection to server during query")

    dialect.do_commit = do_commit
    try:
        yield hits
    finally:
        dialect.do_commit = original


def object_keys(bucket: str) -> set[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"] for o in listing}


def row_keys(app: Any) -> set[str]:
    with app.app_context():
        keys = set(db.session.scalars(select(ProductImage.object_key)))
        db.session.remove()
    return keys


def logged_keys(caplog: Any) -> set[str]:
    return {r.object_key for r in caplog.records if getattr(r, "object_key", None)}


def assert_consistent(app: Any, bucket: str, caplog: Any) -> None:
    """No row points at a missing object; every object without a row was logged."""
    rows, objects = row_keys(app), object_keys(bucket)
    assert rows <= objects, f"dangling rows: {rows - objects}"
    orphans = objects - rows
    assert orphans <= logged_keys(caplog), f"orphans nobody logged: {orphans - logged_keys(caplog)}"
