"""Count what an engine sends to MySQL: statements, transaction control, pings, connects.

Two independent views, which must agree:
- the wire's, which counts: every command PyMySQL sends on the engine's own connections
  (COM_QUERY, COM_PING), which also sees BEGIN/COMMIT/ROLLBACK, pings that no cursor
  runs, and the plain reads that run below SQLAlchemy's Connection
  (service/direct_reads.py);
- SQLAlchemy's: a ``before_cursor_execute`` listener (the statements SQLAlchemy's
  Connection runs) plus pool events (``connect`` for new connections, ``reset`` for the
  pool's rollback on return).

The server's ``Questions`` counter (``SHOW SESSION STATUS``) counts the same commands;
tests/benchmarks cross-checks it once per run.
"""

from __future__ import annotations

import contextlib
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pymysql.connections import Connection
from pymysql.constants import COMMAND
from sqlalchemy import event


@dataclass
class Counts:
    """What went to the server while counting."""

    sql: list[str] = field(default_factory=list)  # run by SQLAlchemy's Connection
    wire: Counter[str] = field(default_factory=Counter)  # "query", "ping", "other"
    queries: list[str] = field(default_factory=list)  # every COM_QUERY's text, in order
    connects: int = 0
    resets: int = 0

    @property
    def statements(self) -> int:
        """Statements the server executed: SQL plus BEGIN/COMMIT/ROLLBACK plus pings."""
        return self.wire["query"] + self.wire["ping"]

    @property
    def transaction_control(self) -> list[str]:
        """BEGIN, COMMIT, ROLLBACK actually sent (queries that no cursor ran)."""
        return [q for q in self.queries if q.upper() in ("BEGIN", "COMMIT", "ROLLBACK")]

    def reset(self) -> None:
        self.sql.clear()
        self.wire.clear()
        self.queries.clear()
        self.connects = self.resets = 0


@contextlib.contextmanager
def watch_commands(engine: Any, callback: Callable[[Any, int, Any], None]) -> Iterator[None]:
    """Call ``callback(dbapi_connection, command, sql)`` before each command PyMySQL sends
    on ``engine``'s connections (those opened or checked out while the block runs), however
    the statement got there: SQLAlchemy's Connection, a direct read, the pool's ping."""
    ours: weakref.WeakSet[Any] = weakref.WeakSet()

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        ours.add(dbapi_connection)

    def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        ours.add(dbapi_connection)

    original = Connection._execute_command

    def watched(self: Any, command: int, sql: Any) -> Any:
        if self in ours:
            callback(self, command, sql)
        return original(self, command, sql)

    listeners = [(engine.pool, "connect", on_connect), (engine.pool, "checkout", on_checkout)]
    for target, name, fn in listeners:
        # insert: before the idle ping's checkout hook, so its ping is seen
        event.listen(target, name, fn, insert=True)
    Connection._execute_command = watched
    try:
        yield
    finally:
        Connection._execute_command = original
        for target, name, fn in listeners:
            event.remove(target, name, fn)


def query_text(sql: Any) -> str:
    return (sql.decode("utf-8", "replace") if isinstance(sql, bytes) else str(sql)).strip()


@contextlib.contextmanager
def count_statements(engine: Any) -> Iterator[Counts]:
    """Count, while the block runs, what ``engine``'s connections send to the server."""
    counts = Counts()

    def before_cursor(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counts.sql.append(statement)

    def on_connect(_dbapi_connection: Any, _record: Any) -> None:
        counts.connects += 1

    def on_reset(_dbapi_connection: Any, _record: Any, _state: Any = None) -> None:
        counts.resets += 1

    def on_command(_connection: Any, command: int, sql: Any) -> None:
        if command == COMMAND.COM_QUERY:
            counts.wire["query"] += 1
            counts.queries.append(query_text(sql))
        elif command == COMMAND.COM_PING:
            counts.wire["ping"] += 1
        else:
            counts.wire["other"] += 1

    listeners = [
        (engine, "before_cursor_execute", before_cursor),
        (engine.pool, "connect", on_connect),
        (engine.pool, "reset", on_reset),
    ]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    try:
        with watch_commands(engine, on_command):
            yield counts
    finally:
        for target, name, fn in listeners:
            event.remove(target, name, fn)
