"""Fixtures for the deploy/ tests: one real x86_64 build per session, serve processes, AWS env."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from deploy import aws, lambdas, lockfile, wheels
from deploy.serve import GatewayConfig, make_server
from deploy.targets import Target
from tests.support.aws import FAKE_ENV
from tests.support.deploy_build import REPO, WHEEL_CACHE, build, unpack, wheel_cache_lock
from tests.support.deploy_lambda import NAMES, FakeRuntime, Stack, create_stack


@pytest.fixture(scope="session")
def x86_build(tmp_path_factory) -> dict:
    """The default package (no boto3) for python3.12 on x86_64, the one arch we can run."""
    return build(tmp_path_factory.mktemp("x86") / "lambda.zip", "--arch", "x86_64")


@pytest.fixture(scope="session")
def x86_zip(x86_build) -> Path:
    return Path(x86_build["path"])


@pytest.fixture(scope="session")
def x86_dir(x86_zip, tmp_path_factory) -> Path:
    return unpack(x86_zip, tmp_path_factory.mktemp("task"))


@pytest.fixture(scope="session")
def runtime_dir(tmp_path_factory) -> Path:
    """What the Lambda runtime adds to sys.path: boto3 and its dependencies, nothing else."""
    pins, _ = lockfile.read_lock(REPO / "deploy" / "requirements.lock")
    _ship, provided = lockfile.split_runtime_provided(pins, include_boto3=False)
    target = Target("3.12", "x86_64")
    dest = tmp_path_factory.mktemp("runtime") / "site-packages"
    with wheel_cache_lock():
        found = wheels.ensure_wheels(provided, target, WHEEL_CACHE)
    wheels.install(found, target, dest)
    return dest


@pytest.fixture
def aws_env(monkeypatch):
    """Fake credentials and a region for moto; the function names as CI sets them."""
    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def start_gateway():
    """Start an in-process gateway around a handler on a free port; stop it afterwards.

    Returns an http.client connection to it (its `port` is the gateway's port)."""
    servers, connections = [], []

    def _start(handler, **config) -> http.client.HTTPConnection:
        server = make_server(handler, GatewayConfig(**config), port=0)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
        connections.append(conn)
        return conn

    yield _start
    for conn in connections:
        conn.close()
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def instant_waits(monkeypatch):
    """Lambda waiters poll without sleeping."""
    monkeypatch.setattr(lambdas, "WAITER_CONFIG", {"Delay": 0, "MaxAttempts": 3})


@pytest.fixture
def stack(aws_env, instant_waits, monkeypatch) -> Iterator[Stack]:
    """The stack as Terraform creates it (arm64, python3.12, version 1, live -> 1 on the API
    and rotation functions), the function names in the environment as CI sets them."""
    for variable, name in NAMES.items():
        monkeypatch.setenv(variable, name)
    aws.forget_calls()
    with mock_aws():
        client = boto3.client("lambda")
        create_stack(client, boto3.client("iam"))
        yield Stack(client, FakeRuntime().install(monkeypatch))
