"""Fixtures for the runtime tests: a MariaDB "cluster" with its secrets in moto, as on AWS."""

from __future__ import annotations

import secrets

import boto3
import pytest

from service.jobs import migrate
from tests.support.cluster import create_cluster
from tests.support.databases import admin_connection
from tests.support.secrets_manager import RotatingSecretsManager


@pytest.fixture
def cluster(aws, mysql_database, monkeypatch):
    """Empty database + secrets; the environment a deployed function would see."""
    app_user = f"app_{secrets.token_hex(3)}"
    found = create_cluster(mysql_database("test_rt"), app_user)
    for key, value in found.env.items():
        monkeypatch.setenv(key, value)
    yield found
    connection = admin_connection()
    with connection.cursor() as cursor:
        for user in (app_user, f"{app_user}_clone"):
            cursor.execute("DROP USER IF EXISTS %s@'%%'", (user,))
    connection.close()


@pytest.fixture
def migrated(cluster):
    """The cluster after the first deploy's migration job: schema, app user, password."""
    assert migrate.handler({"action": "upgrade"}, None)["ok"] is True
    return cluster


@pytest.fixture
def rotation_client(aws):
    """moto's Secrets Manager with rotation enabled, playing AWS's side of rotations."""
    from service.jobs import rotate

    return RotatingSecretsManager(boto3.client("secretsmanager"), rotate.handler)
