"""A MariaDB "cluster" as on AWS: an empty database, the RDS-managed admin secret and the
application secret without a password (as Terraform creates them), in moto."""

from __future__ import annotations

import json
from dataclasses import dataclass

import boto3
import pymysql

from tests.support.databases import MARIADB


@dataclass
class Cluster:
    database: str
    app_user: str
    admin_arn: str
    app_arn: str

    @property
    def env(self) -> dict[str, str]:
        """The environment a deployed function sees."""
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


def create_cluster(database: str, app_user: str) -> Cluster:
    """The two secrets of an empty database (moto must be active)."""
    client = boto3.client("secretsmanager")
    admin = {"username": MARIADB["user"], "password": MARIADB["password"]}
    admin_arn = client.create_secret(Name=f"{database}-master", SecretString=json.dumps(admin))
    app = {"engine": "mysql", "host": MARIADB["host"], "port": MARIADB["port"],
           "dbname": database, "username": app_user}  # fmt: skip
    app_arn = client.create_secret(Name=f"{database}-app", SecretString=json.dumps(app))
    return Cluster(database, app_user, admin_arn["ARN"], app_arn["ARN"])


def logs_in(cluster: Cluster, secret: dict[str, str]) -> bool:
    """Whether the secret's user and password open a session on the cluster's database."""
    try:
        pymysql.connect(
            host=MARIADB["host"], port=MARIADB["port"], user=secret["username"],
            password=secret["password"], database=cluster.database, ssl_disabled=True,
        ).close()  # fmt: skip
    except pymysql.err.OperationalError:
        return False
    return True
