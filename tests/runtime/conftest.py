"""A MariaDB "cluster" as on AWS: an empty database, the RDS-managed admin secret and the
application secret without a password (as Terraform creates them), all in moto."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import boto3
import pytest

from tests.conftest import MARIADB, admin_connection
from tests.support.secrets_manager import RotatingSecretsManager


@dataclass
class Cluster:
    database: str
    app_user: str
    admin_arn: str
    app_arn: str

    @property
    def env(self) -> dict[str, str]:
        return {
            "DB_ADMIN_SECRET_ARN": self.admin_arn,
            "DB_SECRET_ARN": self.app_arn,
            "DB_HOST": MARIADB["host"],
            "DB_PORT": str(MARIADB["port"]),
            "DB_NAME": self.database,
        }

    def app_secret(self, stage="AWSCURRENT") -> dict:
        client = boto3.client("secretsmanager")
        value = client.get_secret_value(SecretId=self.app_arn, VersionStage=stage)
        return json.loads(value["SecretString"])


@pytest.fixture
def cluster(aws, mysql_database, monkeypatch):
    """Empty database + secrets; the environment a deployed function would see."""
    database = mysql_database("test_rt")
    app_user = f"app_{secrets.token_hex(3)}"
    client = boto3.client("secretsmanager")
    admin = {"username": MARIADB["user"], "password": MARIADB["password"]}
    admin_arn = client.create_secret(Name=f"{database}-master", SecretString=json.dumps(admin))
    app = {"engine": "mysql", "host": MARIADB["host"], "port": MARIADB["port"],
           "dbname": database, "username": app_user}  # fmt: skip
    app_arn = client.create_secret(Name=f"{database}-app", SecretString=json.dumps(app))
    found = Cluster(database, app_user, admin_arn["ARN"], app_arn["ARN"])
    for key, value in found.env.items():
        monkeypatch.setenv(key, value)
    yield found
    connection = admin_connection()
    with connection.cursor() as cursor:
        for user in (app_user, f"{app_user}_clone"):
            cursor.execute("DROP USER IF EXISTS %s@'%%'", (user,))
    connection.close()


@pytest.fixture
def rotation_client(aws):
    """moto's Secrets Manager with rotation enabled, playing AWS's side of rotations."""
    from service.jobs import rotate

    return RotatingSecretsManager(boto3.client("secretsmanager"), rotate.handler)
