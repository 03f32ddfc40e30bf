"""Database URL and engine options for the environment (local file, local MariaDB, Aurora)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url

from service.extensions import db

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Relative: Flask-SQLAlchemy puts the file in the instance folder.
DEFAULT_SQLITE_URL = "sqlite:///inventory.db"


def database_url(config: dict[str, Any]) -> URL:
    """The SQLAlchemy URL from ``DATABASE_URL``, defaulting to SQLite in the instance folder."""
    url = make_url(config.get("DATABASE_URL") or DEFAULT_SQLITE_URL)
    if url.get_backend_name() in ("mysql", "mariadb"):
        # utf8mb4, or MySQL cannot store characters outside the BMP (emoji).
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url


def engine_options(url: URL, config: dict[str, Any]) -> dict[str, Any]:
    """Engine options that fit Lambda: one pooled connection, pre-ping, recycle, short timeouts."""
    if url.get_backend_name() == "sqlite":
        return {}
    timeout = int(config["DB_CONNECT_TIMEOUT"])
    connect_args: dict[str, Any] = {
        "connect_timeout": timeout,
        "read_timeout": 30,
        "write_timeout": 30,
    }
    if url.host in LOCAL_HOSTS:
        # pymysql tries TLS by default: ~19 ms per connection for nothing on loopback.
        connect_args["ssl_disabled"] = True
    return {
        "pool_size": 1,  # Lambda serves one request at a time per container
        "max_overflow": 10,  # threads in local servers and tests
        "pool_timeout": timeout,
        "pool_pre_ping": True,  # a frozen container's connection may be gone
        "pool_recycle": 280,  # well below wait_timeout and any idle reaper
        "connect_args": connect_args,
    }


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def configure_database(app: Flask) -> None:
    """Set the Flask-SQLAlchemy config keys from the service's own settings."""
    url = database_url(app.config)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(url, app.config)


def register_engine_events(app: Flask) -> None:
    """Hook per-connection setup onto the engine Flask-SQLAlchemy created."""
    with app.app_context():
        engine: Engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
