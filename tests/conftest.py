"""Fixtures: every API test runs on SQLite and MariaDB, through the Flask test client and
through the Lambda handler with API Gateway events. The schema comes from the migrations."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest
from sqlalchemy import text

from service import create_app
from service.extensions import db, init_migrate
from tests.factories import create_account, create_product
from tests.transport import ApiClient

MARIADB = {
    "host": os.environ.get("TEST_MYSQL_HOST", "127.0.0.1"),
    "port": int(os.environ.get("TEST_MYSQL_PORT", "3306")),
    "user": os.environ.get("TEST_MYSQL_USER", "root"),
    "password": os.environ.get("TEST_MYSQL_PASSWORD", ""),
}
TABLES = ("product_images", "products", "users")  # children first


def pytest_report_header(config):
    """Print the fuzz seed (only the top-level conftest may add header lines)."""
    from tests.fuzz.conftest import FUZZ_SEED

    return f"fuzz: schemathesis/hypothesis seed {FUZZ_SEED} (set FUZZ_SEED to change)"


def pytest_collection_modifyitems(items):
    """Mark every test that needs the MySQL server: the mariadb half of parametrised
    tests and anything that asks for a throwaway MySQL database directly."""
    for item in items:
        params = item.callspec.params.values() if hasattr(item, "callspec") else ()
        if "mysql_database" in item.fixturenames or any(p == "mariadb" for p in params):
            item.add_marker(pytest.mark.mariadb)


def mysql_url(database: str) -> str:
    """SQLAlchemy URL for a database on the test server."""
    auth = MARIADB["user"] + (f":{MARIADB['password']}" if MARIADB["password"] else "")
    return f"mysql+pymysql://{auth}@{MARIADB['host']}:{MARIADB['port']}/{database}"


def admin_connection() -> pymysql.Connection:
    """A raw connection to the test server, for creating and dropping databases."""
    try:
        return pymysql.connect(**MARIADB, ssl_disabled=True, autocommit=True, connect_timeout=5)
    except pymysql.err.OperationalError as error:  # fail, never skip: CI must run these
        pytest.fail(f"MariaDB/MySQL is required at {MARIADB['host']}:{MARIADB['port']}: {error}")


@pytest.fixture(scope="session")
def mysql_database() -> Iterator[Any]:
    """A factory of throwaway databases, all dropped at the end of the session."""
    created: list[str] = []
    conn = admin_connection()

    def make(prefix: str = "test_inv") -> str:
        name = f"{prefix}_{secrets.token_hex(4)}"
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        created.append(name)
        return name

    yield make
    with conn.cursor() as cursor:
        for name in created:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()


def migrate_to_head(url: str) -> None:
    """Build the schema the way production does: by running the migrations."""
    import flask_migrate

    app = create_app({"DATABASE_URL": url, "TESTING": True})
    init_migrate(app)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "mariadb"])
def database_url(request, tmp_path_factory) -> str:
    """A migrated database, one per backend per session.

    The MySQL server is requested only for the mariadb half, so SQLite-only runs
    (`-m "not mariadb"`) work without one.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    else:
        url = mysql_url(request.getfixturevalue("mysql_database")())
    migrate_to_head(url)
    return url


@pytest.fixture
def storage_backend() -> str:
    """Where images go; test_images.py overrides this to run on S3 (moto) too."""
    return "local"


@pytest.fixture
def aws(monkeypatch) -> Iterator[None]:
    """moto in-process for every AWS call, with fake credentials set only for the test."""
    from moto import mock_aws

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


@pytest.fixture
def images_bucket(aws) -> str:
    """An S3 bucket in moto."""
    import boto3

    name = "inventory-images-test"
    boto3.client("s3").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    return name


def make_config(database_url: str, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """The test configuration: cheap bcrypt, a private image folder."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "BCRYPT_ROUNDS": 4,
        "IMAGES_DIR": str(tmp_path / "images"),
        "IMAGES_BUCKET": None,
        "SECRET_KEY": "test-secret",
        **overrides,
    }


@pytest.fixture
def app(request, database_url, tmp_path, storage_backend):
    """The app on a clean database; rows are deleted after each test."""
    overrides = {}
    if storage_backend == "s3":
        overrides["IMAGES_BUCKET"] = request.getfixturevalue("images_bucket")
    app = create_app(make_config(database_url, tmp_path, **overrides))
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


@pytest.fixture(params=["flask", "apigw_v1"])
def api(request, app) -> ApiClient:
    """The API through the Flask test client and through the Lambda handler (REST v1)."""
    return ApiClient(app, request.param)


@pytest.fixture
def api_v2(app) -> ApiClient:
    """The API through the Lambda handler with HTTP API (v2) events."""
    return ApiClient(app, "apigw_v2")


@pytest.fixture
def owner(api):
    """A user created through the API."""
    return create_account(api)


@pytest.fixture
def product(api, owner):
    """A product of ``owner``, created through the API."""
    return create_product(api, owner)
