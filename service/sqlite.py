"""SQLite (the local default) with real, serialised transactions.

Python's sqlite3 driver opens a transaction only before INSERT/UPDATE/DELETE, so the
reads before a write run outside it and may see rows that are gone, or miss rows that
appear, by the time the write happens. SQLAlchemy's recipe hands transactions back to
the application (https://docs.sqlalchemy.org/en/20/dialects/sqlite.html, "Serializable
isolation / Savepoints / Transactional DDL"); ``BEGIN IMMEDIATE`` takes the write lock
up front, so a local server's requests run one transaction at a time, which is what
lets a product's delete and a racing image upload stay consistent (``SELECT ... FOR
UPDATE`` has no SQLite spelling).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver no longer BEGINs on its own
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # SQLite ignores foreign keys unless asked
    cursor.close()


def _on_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def install(engine: Engine) -> None:
    """Foreign keys on, and every transaction serialised behind SQLite's write lock."""
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
