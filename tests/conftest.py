"""Fixtures: every API test runs on SQLite and MariaDB, through the Flask test client and
through the Lambda handler with API Gateway events. The schema comes from the migrations.

Helpers live in tests/support/; this file holds fixtures and hooks only. The MySQL server
is requested lazily (only by the tests that need it, marked ``mariadb``), so
``make test-fast`` runs on a machine without one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from service import create_app
from tests.support import aws as aws_support
from tests.support.apps import dispose, make_config
from tests.support.databases import (
    admin_connection,
    clear_tables,
    migrate_to_head,
    mysql_url,
    unique_name,
)
from tests.support.deploy_serve import ServeProcess, migrated_local_env, serve_process
from tests.support.factories import create_account, create_product
from tests.support.fuzzing import FUZZ_SEED, generated_cases
from tests.support.markers import mark_by_fixtures
from tests.support.transport import ApiClient


def pytest_configure(config):
    aws_support.share_botocore_loader()


def pytest_report_header(config):
    """Print the fuzz seed (only the top-level conftest may add header lines)."""
    return f"fuzz: schemathesis/hypothesis seed {FUZZ_SEED} (set FUZZ_SEED to change)"


def pytest_terminal_summary(terminalreporter):
    """How many cases schemathesis generated (tests/test_schemathesis.py), when it ran."""
    cases = generated_cases(r for reports in terminalreporter.stats.values() for r in reports)
    if cases:
        terminalreporter.write_line(f"schemathesis: {cases} generated cases (seed {FUZZ_SEED})")


def pytest_collection_modifyitems(items):
    """Mark tests by what they need (``mariadb``, ``slow``): see tests/support/markers.py."""
    for item in items:
        mark_by_fixtures(item)


@pytest.fixture(scope="session")
def mysql_database() -> Iterator[Any]:
    """A factory of throwaway databases, all dropped at the end of the session."""
    created: list[str] = []
    conn = admin_connection()

    def make(prefix: str = "test_inv") -> str:
        name = unique_name(prefix)
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        created.append(name)
        return name

    yield make
    with conn.cursor() as cursor:
        for name in created:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()


@pytest.fixture(scope="session", params=["sqlite", "mariadb"])
def database_url(request, tmp_path_factory) -> str:
    """A migrated database, one per backend per session (per xdist worker)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    else:
        url = mysql_url(request.getfixturevalue("mysql_database")())
    migrate_to_head(url)
    return url


@pytest.fixture
def storage_backend() -> str:
    """Where images go; modules override this to run on S3 (moto) too."""
    return "local"


@pytest.fixture
def aws(monkeypatch) -> Iterator[None]:
    """moto in-process for every AWS call, with fake credentials set only for the test."""
    from moto import mock_aws

    for key, value in aws_support.FAKE_ENV.items():
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


@pytest.fixture
def make_app(database_url, tmp_path):
    """Apps with settings of the test's own on the session's database (for tests that
    need more than ``app``); every row is deleted afterwards, whoever wrote it."""

    apps = []

    def make(**overrides: Any):
        apps.append(create_app(make_config(database_url, tmp_path, **overrides)))
        return apps[-1]

    yield make
    clear_tables(apps[0] if apps else make())
    for app in apps:  # pooled connections go now, not whenever the app is collected
        dispose(app)


@pytest.fixture
def app(request, make_app, storage_backend):
    """The app on a clean database; rows are deleted after each test."""
    if storage_backend == "s3":
        return make_app(IMAGES_BUCKET=request.getfixturevalue("images_bucket"))
    return make_app()


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


@pytest.fixture(scope="session")
def local_env(tmp_path_factory) -> dict[str, str]:
    """The embedded default's environment: a migrated SQLite file and an images folder."""
    return migrated_local_env(tmp_path_factory.mktemp("local"))


@pytest.fixture(scope="session")
def gateway(local_env) -> Iterator[ServeProcess]:
    """`python -m deploy serve`: the real handler from source behind the local gateway,
    stage `prod`, on the embedded default (one process per session and xdist worker)."""
    with serve_process("--stage", "prod", env=local_env) as served:
        yield served
