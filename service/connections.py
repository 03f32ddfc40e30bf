"""MySQL connections that cost one round trip per read: autocommit for plain reads, a
transaction from the first write, dead connections found without pinging every request.

Why: with pre-ping on checkout and a ROLLBACK when the session ends, a primary-key read
cost three statements (ping, SELECT, ROLLBACK). Here:

- The connection runs in autocommit mode (the server's default, so connecting sends no
  ``SET autocommit``). A plain SELECT is its own transaction: it holds no metadata lock
  and leaves nothing open between requests, so nothing needs rolling back.
- The first statement that writes or locks (anything but a plain SELECT/SHOW/SET) is
  preceded by ``BEGIN``: a write request stays one transaction (``BEGIN`` + its statements
  + ``COMMIT``), so a lost reply to one of its statements still means "not committed".
- COMMIT and ROLLBACK are sent only when the server says a transaction is open
  (``SERVER_STATUS_IN_TRANS`` of the last reply): ending a read-only session is free.
- A plain read outside a transaction (``read_rows``: GET product, the caller of an
  authenticated request, /healthz) checks a connection out of the pool for itself and
  returns it at once: a request that only reads never creates an ORM session. On
  PyMySQL it runs on the DB-API cursor (service/direct_reads.py).
- Instead of a ping per request: a ping only after the connection sat idle (a frozen
  Lambda container), and a plain read that finds its pooled connection dead is retried
  once on a new connection (nothing was open on the server, so nothing is lost).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pymysql
from pymysql.constants import SERVER_STATUS
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.orm import ORMExecuteState, Session, scoped_session
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import TextClause

from service import direct_reads

logger = logging.getLogger(__name__)

T = TypeVar("T")
AnySession = Session | scoped_session[Any]

# A dead connection (killed, server restarted, idle timeout) fails at once; a slow
# failure is a timeout, and retrying it could outlast the request's time budget.
FAST_FAILURE_SECONDS = 1.0
PING_TIMEOUT_SECONDS = 2  # a live connection answers a ping in milliseconds
_READ_ONLY_VERBS = ("SELECT", "SHOW", "SET", "DESCRIBE", "EXPLAIN")
_LOCKING = re.compile(r"\bFOR\s+(UPDATE|SHARE)\b|\bLOCK\s+IN\s+SHARE\s+MODE\b", re.IGNORECASE)


class LeanConnection(pymysql.connections.Connection):  # type: ignore[misc]
    """A PyMySQL connection that sends COMMIT/ROLLBACK only when a transaction is open."""

    @property
    def in_transaction(self) -> bool:
        """What the server said in its last reply (an error reply leaves it unchanged,
        so after a failure this errs on the side of "open")."""
        return bool(self.server_status & SERVER_STATUS.SERVER_STATUS_IN_TRANS)

    def commit(self) -> None:
        if self.in_transaction:
            super().commit()

    def rollback(self) -> None:
        if self.in_transaction:
            super().rollback()


def connect(*cargs: Any, **cparams: Any) -> LeanConnection:
    """Open a connection in autocommit mode (what the server starts in anyway)."""
    return LeanConnection(*cargs, **{**cparams, "autocommit": True})


def needs_transaction(statement: str) -> bool:
    """True for statements that write or lock: they must run inside BEGIN ... COMMIT."""
    verb = statement.lstrip(" \t\r\n(").split(None, 1)[0].upper() if statement.strip() else ""
    return verb not in _READ_ONLY_VERBS or bool(_LOCKING.search(statement))


def _begin_before_writes(
    conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
) -> tuple[str, Any]:
    dbapi_connection = conn.connection.dbapi_connection
    if (
        isinstance(dbapi_connection, LeanConnection)
        and not dbapi_connection.in_transaction
        and needs_transaction(statement)
    ):
        dbapi_connection.begin()
    return statement, parameters


def now() -> tuple[float, float]:
    """Monotonic and wall clock: a frozen container may not advance the monotonic one."""
    return time.monotonic(), time.time()


def _ping_after_idle(idle_seconds: float) -> Any:
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get("checked_in")
        if last is None:
            return  # a connection just opened needs no ping
        current = now()
        idle = max(current[0] - last[0], current[1] - last[1])
        if idle < idle_seconds:
            return
        saved = dbapi_connection._read_timeout, dbapi_connection._write_timeout
        dbapi_connection._read_timeout = dbapi_connection._write_timeout = PING_TIMEOUT_SECONDS
        try:
            dbapi_connection.ping(reconnect=False)
        except Exception as error:
            # The pool discards this connection and opens a new one.
            raise exc.DisconnectionError(f"idle connection is dead: {error}") from error
        finally:
            dbapi_connection._read_timeout, dbapi_connection._write_timeout = saved

    return on_checkout


def _remember_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in"] = now()


def install(engine: Engine, *, idle_ping_seconds: float) -> None:
    """Hook BEGIN-before-writes and the idle ping onto a MySQL engine."""
    event.listen(engine, "before_cursor_execute", _begin_before_writes, retval=True)
    event.listen(engine, "checkout", _ping_after_idle(idle_ping_seconds))
    event.listen(engine, "checkin", _remember_checkin)


def _plain_read(statement: Any) -> bool:
    if isinstance(statement, TextClause):
        return not needs_transaction(statement.text)
    return bool(getattr(statement, "is_select", False)) and statement._for_update_arg is None


def _retryable(session: AnySession, connection: Connection) -> bool:
    """True when a read on ``connection`` may run again on a new one: nothing pending in
    the session and no transaction open on the server (a plain autocommit read)."""
    if session.new or session.dirty or session.deleted:
        return False
    dbapi_connection = connection.connection.dbapi_connection
    return isinstance(dbapi_connection, LeanConnection) and not dbapi_connection.in_transaction


def _retry_once(read: Callable[[], T], retryable: bool, forget: Callable[[], None]) -> T:
    """``read()``, and once more if it failed fast on a dead pooled connection;
    ``forget`` drops the invalidated connection first."""
    started = time.monotonic()
    try:
        return read()
    except exc.DBAPIError as error:
        if (
            not retryable
            or not error.connection_invalidated
            or time.monotonic() - started > FAST_FAILURE_SECONDS
        ):
            raise
        logger.info("pooled database connection was dead; reading again on a new one")
    forget()
    return read()


def retry_read_on_dead_connection(state: ORMExecuteState) -> Any:
    """A ``do_orm_execute`` hook: run a plain read again, once, if its pooled connection
    turns out to be dead, provided no transaction was open and nothing is pending."""
    session = state.session
    if not _plain_read(state.statement):
        return None
    if not _retryable(session, session.connection(bind_arguments=state.bind_arguments)):
        return None
    # session.rollback() forgets the invalidated connection; nothing was written.
    return _retry_once(state.invoke_statement, retryable=True, forget=session.rollback)


def _session_in_use(session: AnySession) -> Session | None:
    """The request's session if it has begun (it may hold a connection and a
    transaction whose writes a read must see), without creating one."""
    if isinstance(session, scoped_session):
        if not session.registry.has():
            return None
        begun: Session = session.registry()
    else:
        begun = session
    return begun if begun.in_transaction() else None


def read_rows(
    session: AnySession, engine: Engine, statement: Executable, parameters: dict[str, Any]
) -> list[Row[Any]]:
    """The rows of a plain SELECT, without ORM objects, read again once on a new
    connection if the pooled one is dead, like ``retry_read_on_dead_connection``.

    Unless the request's session has begun (then its connection, to see its
    transaction), the read checks a connection out of ``engine`` and returns it at
    once: no ORM session is created, and a request that only reads never pays for one.
    On PyMySQL a SELECT then runs below SQLAlchemy's ``Connection`` (service/direct_reads.py).
    Compare ``_core_row_read`` and ``_orm_session_get`` of ``python -m tests.benchmarks``.
    """
    in_use = _session_in_use(session)
    if in_use is not None:
        connection = in_use.connection()

        def read_in_session() -> list[Row[Any]]:
            return list(in_use.connection().execute(statement, parameters).all())

        return _retry_once(read_in_session, _retryable(in_use, connection), forget=in_use.rollback)

    def read_alone() -> list[Row[Any]]:
        # Checked out in autocommit, nothing pending: a plain read may always run again.
        if direct_reads.supports(statement, engine):
            return direct_reads.read(engine, statement, parameters)
        with engine.connect() as own:
            return list(own.execute(statement, parameters).all())

    return _retry_once(read_alone, retryable=True, forget=lambda: None)


def install_session_retry(sessions: Any) -> None:
    """Register the read retry once on a session factory (every app shares ``db.session``)."""
    if not event.contains(sessions, "do_orm_execute", retry_read_on_dead_connection):
        event.listen(sessions, "do_orm_execute", retry_read_on_dead_connection)
