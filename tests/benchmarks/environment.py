"""What every benchmark needs: a migrated MariaDB database with seed data, fake AWS
credentials, a moto S3 (in-process or as a server) and the request scenarios."""

from __future__ import annotations

import base64
import contextlib
import io
import itertools
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pymysql

from tests.support import images
from tests.support.databases import MARIADB, migrate_to_head, mysql_url

BUCKET = "bench-images"
REGION = "eu-west-1"
PASSWORD = "correct horse battery staple"
UPLOAD_BYTES = 100 * 1024  # the "100 KB PNG"
LISTED_IMAGES = 5  # images on the product whose list is benchmarked
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
# What the Lambda runtime sets and our config reads: JSON logs and EMF metrics on.
LAMBDA_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "inventory-api-bench",
    "LOG_LEVEL": "INFO",
    "POWERTOOLS_SERVICE_NAME": "inventory-api",
    "POWERTOOLS_METRICS_NAMESPACE": "InventoryApiBench",
}


def admin() -> pymysql.Connection:
    """A root connection to the benchmark server (no TLS on loopback)."""
    return pymysql.connect(**MARIADB, ssl_disabled=True, autocommit=True, connect_timeout=5)


@dataclass
class Database:
    """A throwaway, migrated database and an application user with a password."""

    name: str
    url: str
    user: str
    password: str

    def drop(self) -> None:
        connection = admin()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{self.name}`")
            cursor.execute("DROP USER IF EXISTS %s@'%%'", (self.user,))
        connection.close()

    def app_url(self) -> str:
        """The database as the least-privileged application user (like on AWS)."""
        return (
            f"mysql+pymysql://{self.user}:{self.password}@{MARIADB['host']}:"
            f"{MARIADB['port']}/{self.name}"
        )

    def counts(self) -> dict[str, int]:
        connection = admin()
        with connection.cursor() as cursor:
            found = {}
            for table in ("users", "products", "product_images"):
                cursor.execute(f"SELECT COUNT(*) FROM `{self.name}`.{table}")
                found[table] = cursor.fetchone()[0]
        connection.close()
        return found


def create_database() -> Database:
    """CREATE DATABASE, run the migrations, add an app user with DML grants."""
    name = f"bench_{secrets.token_hex(4)}"
    user = f"bench_{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(18)
    connection = admin()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        cursor.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (user, password))
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON `{name}`.* TO %s@'%%'", (user,))
    connection.close()
    with contextlib.redirect_stdout(io.StringIO()):
        migrate_to_head(mysql_url(name))
    return Database(name, mysql_url(name), user, password)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto as a separate process (S3 and Secrets Manager over HTTP); yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **FAKE_AWS},
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def aws_client(service: str, endpoint: str | None = None) -> Any:
    import boto3

    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id=FAKE_AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=FAKE_AWS["AWS_SESSION_TOKEN"],
    )


def create_bucket(endpoint: str | None = None) -> None:
    aws_client("s3", endpoint).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )


def create_app_secret(database: Database, endpoint: str | None = None) -> str:
    """The application secret as the migration job leaves it; returns its ARN."""
    value = {
        "engine": "mysql",
        "host": MARIADB["host"],
        "port": MARIADB["port"],
        "dbname": database.name,
        "username": database.user,
        "password": database.password,
    }
    client = aws_client("secretsmanager", endpoint)
    return str(
        client.create_secret(Name=f"{database.name}-app", SecretString=json.dumps(value))["ARN"]
    )


def upload_png() -> bytes:
    """A valid PNG of exactly 100 KiB (padded with a text chunk)."""
    base = images.png(4, 4)
    data = images.png(4, 4, extra_bytes=UPLOAD_BYTES - len(base) - 12 - len("Comment\0"))
    assert len(data) == UPLOAD_BYTES, len(data)
    return data


# ------------------------------------------------------------------ requests


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def multipart(
    field_name: str, file_name: str, content: bytes, content_type: str
) -> tuple[bytes, str]:
    """A multipart/form-data body with one file; returns (body, Content-Type)."""
    boundary = "bench" + secrets.token_hex(8)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; '
        f'filename="{file_name}"\r\nContent-Type: {content_type}\r\n\r\n'
    ).encode()
    body = head + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@dataclass
class Request:
    """One HTTP request, independent of the transport."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Scenario:
    """A benchmarked endpoint: ``make(i)`` builds the i-th request (not timed)."""

    name: str
    expect: int
    make: Callable[[int], Request]
    requests: int | None = None  # None: the run's --requests


@dataclass
class Seed:
    """Ids and credentials the scenarios use."""

    username: str
    user_id: int
    product_id: int
    listed_product_id: int
    patched_product_id: int


_skus = itertools.count(1)


def scenarios(seed: Seed, png: bytes, run_id: str) -> list[Scenario]:
    """The endpoints of issue 7, in report order."""
    auth = {"Authorization": basic(seed.username, PASSWORD)}
    json_headers = {**auth, "Content-Type": "application/json"}

    def create(i: int) -> Request:
        body = {
            "name": f"Bench {i}",
            "description": "benchmark product",
            "sku": f"BENCH-{run_id}-{next(_skus)}",
            "manufacturer": "Acme",
            "quantity": i % 101,
        }
        return Request("POST", "/v1/product", json_headers, json.dumps(body).encode())

    def patch(i: int) -> Request:
        body = json.dumps({"quantity": i % 101, "description": f"patched {i}"}).encode()
        return Request("PATCH", f"/v1/product/{seed.patched_product_id}", json_headers, body)

    def upload(i: int) -> Request:
        body, content_type = multipart("image", f"photo-{i}.png", png, "image/png")
        return Request(
            "POST",
            f"/v1/product/{seed.product_id}/image",
            {**auth, "Content-Type": content_type},
            body,
        )

    return [
        Scenario("health", 200, lambda i: Request("GET", "/healthz")),
        Scenario("get_product", 200, lambda i: Request("GET", f"/v1/product/{seed.product_id}")),
        Scenario("get_user_warm", 200, lambda i: Request("GET", f"/v1/user/{seed.user_id}", auth)),
        Scenario(
            "get_user_cold",
            200,
            lambda i: Request("GET", f"/v1/user/{seed.user_id}", auth),
            requests=50,
        ),
        Scenario("create_product", 201, create),
        Scenario("patch_product", 204, patch),
        Scenario("upload_png_100k", 201, upload),
        Scenario(
            "list_images",
            200,
            lambda i: Request("GET", f"/v1/product/{seed.listed_product_id}/image", auth),
        ),
    ]


def seed(send: Callable[[Request], tuple[int, bytes]], png: bytes) -> Seed:
    """A user (bcrypt cost 10, the production default), products and images, via the API."""

    def call(request: Request, expect: int) -> Any:
        status, body = send(request)
        assert status == expect, (request.method, request.path, status, body[:500])
        return json.loads(body) if body else None

    username = f"bench-{os.getpid()}-{time.monotonic_ns()}@example.com"
    payload = {
        "username": username,
        "password": PASSWORD,
        "first_name": "Bench",
        "last_name": "Mark",
    }
    json_headers = {"Content-Type": "application/json"}
    user = call(Request("POST", "/v1/user", json_headers, json.dumps(payload).encode()), 201)
    auth = {"Authorization": basic(username, PASSWORD), **json_headers}
    products = []
    for n in range(3):
        body = {
            "name": f"Seed {n}",
            "description": "seed",
            "sku": f"SEED-{user['id']}-{n}",
            "manufacturer": "Acme",
            "quantity": 1,
        }
        created = call(Request("POST", "/v1/product", auth, json.dumps(body).encode()), 201)
        products.append(created["id"])
    for n in range(LISTED_IMAGES):
        data, content_type = multipart("image", f"seed-{n}.png", png, "image/png")
        headers = {"Authorization": auth["Authorization"], "Content-Type": content_type}
        call(Request("POST", f"/v1/product/{products[1]}/image", headers, data), 201)
    return Seed(username, user["id"], products[0], products[1], products[2])
