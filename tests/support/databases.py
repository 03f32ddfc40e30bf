"""The test MySQL server (MariaDB locally, MySQL 8 in GitHub Actions) and migrated schemas.

The server is configured by TEST_MYSQL_HOST/PORT/USER/PASSWORD; nothing here connects
at import time, so SQLite-only runs work on a machine without a MySQL server.
"""

from __future__ import annotations

import os
import secrets

import pymysql
import pytest
from sqlalchemy import text

from service import create_app
from service.extensions import db, init_migrate

MARIADB = {
    "host": os.environ.get("TEST_MYSQL_HOST", "127.0.0.1"),
    "port": int(os.environ.get("TEST_MYSQL_PORT", "3306")),
    "user": os.environ.get("TEST_MYSQL_USER", "root"),
    "password": os.environ.get("TEST_MYSQL_PASSWORD", ""),
}
TABLES = ("product_images", "products", "users")  # children first


def mysql_url(database: str, port: int | None = None) -> str:
    """SQLAlchemy URL for a database on the test server (or on a proxy in front of it)."""
    auth = MARIADB["user"] + (f":{MARIADB['password']}" if MARIADB["password"] else "")
    return f"mysql+pymysql://{auth}@{MARIADB['host']}:{port or MARIADB['port']}/{database}"


def admin_connection() -> pymysql.Connection:
    """A raw connection to the test server, for creating and dropping databases."""
    try:
        return pymysql.connect(**MARIADB, ssl_disabled=True, autocommit=True, connect_timeout=5)
    except pymysql.err.OperationalError as error:  # fail, never skip: CI must run these
        pytest.fail(f"MariaDB/MySQL is required at {MARIADB['host']}:{MARIADB['port']}: {error}")


def unique_name(prefix: str) -> str:
    """A name no other test, worker or concurrent run on the shared server uses."""
    return f"{prefix}_{secrets.token_hex(4)}"


def migrate_to_head(url: str) -> None:
    """Build the schema the way production does: by running the migrations."""
    import flask_migrate

    app = create_app({"DATABASE_URL": url, "TESTING": True})
    init_migrate(app)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


def migrated_mysql(mysql_database, prefix: str) -> str:
    """A throwaway MariaDB database (from the ``mysql_database`` factory fixture) with the
    schema at head: what a module-scoped fixture of MariaDB tests returns."""
    name = mysql_database(prefix)
    migrate_to_head(mysql_url(name))
    return name


def mysql_app(database: str, tmp_path, **overrides):
    """An app on ``database`` whose rows are deleted when the test is done (a generator
    for an ``app`` fixture: ``yield from mysql_app(...)``)."""
    from tests.support.apps import make_config

    app = create_app(make_config(mysql_url(database), tmp_path, **overrides))
    yield app
    clear_tables(app)


def clear_tables(app) -> None:
    """Delete every row (children first) and close the app's connections."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in TABLES:
                connection.execute(text(f"DELETE FROM {table}"))
        db.engine.dispose()
