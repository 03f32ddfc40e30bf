"""Plain SELECTs on a pooled DB-API connection, below SQLAlchemy's execution layer.

Why: on a warm GET product, SQLAlchemy's ``Connection`` (its wrapper around the pooled
connection, autobegin, the execution context, the result set-up) cost ~0.24 ms around a
~0.25 ms round trip; this path costs the pool's checkout and checkin (~0.04 ms) and the
row processing (``python -m tests.benchmarks.variants``, docs/performance.md).

What it keeps from SQLAlchemy: the statement, compiled once per dialect; the pool (its
checkout hooks, so the idle ping of service/connections.py, and its checkin); the
columns' own result processors, so the rows equal the Core path's (tests check it
column by column); errors wrapped as SQLAlchemy's ``DBAPIError``, and a dead connection
invalidated (that connection; other pooled ones, if any, are found dead by their own
reads), so ``read_rows`` retries and the error handlers answer exactly as before.

What it gives up: cursor events (``before_cursor_execute``) do not fire for these
reads; nothing needs them for a plain SELECT (service/connections.py begins a
transaction only before a write), and the tests count statements on the wire.

PyMySQL only (``pyformat`` parameters): SQLite, the local default, keeps the Core path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any, TypeGuard

from sqlalchemy import exc
from sqlalchemy.engine import Dialect, Engine, Row, result_tuple
from sqlalchemy.sql import Select

Processor = Callable[[Any], Any]


def supports(statement: object, engine: Engine) -> TypeGuard[Select[Any]]:
    """Whether ``statement`` may run here on ``engine``: a SELECT, on PyMySQL."""
    return isinstance(statement, Select) and engine.dialect.driver == "pymysql"


class _Compiled:
    """A SELECT compiled for one dialect: its SQL, its parameters' and columns' processing."""

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if any(b.expanding or b.literal_execute for b in compiled.binds.values()):
            raise ValueError("direct reads take plain bound parameters only (no IN lists)")
        self.sql = compiled.string
        self._compiled = compiled
        self._dialect = dialect
        self._bind_processors = {
            name: processor
            for name, bind in compiled.binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))
        }
        self._types = [column.type for column in statement.selected_columns]
        self._make_row = result_tuple(list(statement.selected_columns.keys()))
        # By the type codes the driver reports (what SQLAlchemy's processors may look at).
        self._processors: dict[tuple[Any, ...], list[tuple[int, Processor]]] = {}

    def parameters(self, values: dict[str, Any]) -> MutableMapping[str, Any]:
        params = self._compiled.construct_params(values)
        for name, processor in self._bind_processors.items():
            params[name] = processor(params[name])
        return params

    def rows(self, description: Sequence[Sequence[Any]], data: Sequence[Any]) -> list[Row[Any]]:
        codes = tuple(column[1] for column in description)
        processors = self._processors.get(codes)
        if processors is None:
            processors = self._processors[codes] = [
                (i, processor)
                for i, (type_, code) in enumerate(zip(self._types, codes, strict=True))
                if (processor := type_.dialect_impl(self._dialect).result_processor(
                    self._dialect, code))
            ]  # fmt: skip
        if not processors:
            return [self._make_row(values) for values in data]
        rows = []
        for values in data:
            processed = list(values)
            for i, process in processors:
                processed[i] = process(processed[i])
            rows.append(self._make_row(processed))
        return rows


@functools.lru_cache(maxsize=64)
def _compile(statement: Select[Any], dialect: Dialect) -> _Compiled:
    return _Compiled(statement, dialect)


def _wrap(error: Exception, engine: Engine, sql: str | None, invalidated: bool) -> Exception:
    """The error as SQLAlchemy's Core path raises it (no row values: hide_parameters)."""
    dbapi_error = engine.dialect.loaded_dbapi.Error
    wrapped = exc.DBAPIError.instance(
        sql, None, error, dbapi_error,
        hide_parameters=engine.hide_parameters,
        connection_invalidated=invalidated,
        dialect=engine.dialect,
    )  # fmt: skip
    assert isinstance(wrapped, Exception)
    return wrapped


def read(engine: Engine, statement: Select[Any], values: dict[str, Any]) -> list[Row[Any]]:
    """The rows of ``statement`` with ``values``, read on a connection checked out of
    ``engine``'s pool and returned at once.

    :raise sqlalchemy.exc.DBAPIError: as ``Connection.execute`` would raise it, with
        ``connection_invalidated`` set when the connection was found dead.
    """
    dialect = engine.dialect
    dbapi_error = dialect.loaded_dbapi.Error
    compiled = _compile(statement, dialect)
    params = compiled.parameters(values)
    try:
        pooled = engine.raw_connection()
    except dbapi_error as error:  # could not connect (the pool retried a dead one already)
        raise _wrap(error, engine, None, dialect.is_disconnect(error, None, None)) from error
    cursor = None
    try:
        cursor = pooled.cursor()
        cursor.execute(compiled.sql, params)
        data = cursor.fetchall()
        description = cursor.description
        cursor.close()
    except dbapi_error as error:
        dead = dialect.is_disconnect(error, pooled.dbapi_connection, cursor)
        if dead:
            pooled.invalidate(error)
        raise _wrap(error, engine, compiled.sql, dead) from error
    except BaseException as error:
        # Interrupted mid-reply, the connection's state is unknown: never back to the pool.
        pooled.invalidate(error if isinstance(error, Exception) else None)
        raise
    finally:
        pooled.close()  # back to the pool, or (invalidated) closed
    return compiled.rows(description, data)
