"""Fixtures for the workflow tests: moto as a server (the workflow's steps are separate
processes), the local API Gateway from tests/deploy, and a gateway whose database is gone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

# Reused from tests/deploy: the migrated SQLite environment and the gateway serving it.
from tests.deploy.conftest import ServeProcess, gateway, local_env, serve_process
from tests.deploy.test_release import NAMES, _zip

__all__ = ["gateway", "local_env"]  # fixtures, re-exported for this directory

REGION = "eu-west-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


class Moto:
    """moto's server in this process: Lambda without Docker, invoke answers injected."""

    def __init__(self, url: str) -> None:
        self.url = url

    def client(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def reset(self) -> None:
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()

    def inject_invoke_results(self, *payloads: object) -> None:
        """What the next `invoke` calls return (moto's lambda-simple queue), in order."""
        response = requests.post(
            f"{self.url}/moto-api/static/lambda-simple/response",
            json={"results": [json.dumps(p) for p in payloads], "region": REGION},
            timeout=10,
        )
        response.raise_for_status()

    def create_stack(self) -> None:
        """The three functions as Terraform creates them (arm64, version 1), alias live -> 1."""
        role = self.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")
        client = self.client("lambda")
        for name in NAMES.values():
            client.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=role["Role"]["Arn"],
                Handler="service.lambda_handler.handler",
                Code={"ZipFile": _zip("v1")},
                Publish=True,
                Architectures=["arm64"],
            )
        client.create_alias(
            FunctionName=NAMES["API_FUNCTION_NAME"], Name="live", FunctionVersion="1"
        )


@pytest.fixture(scope="module")
def moto_server() -> Iterator[Moto]:
    """One server per module; its Lambda backend answers invoke without Docker."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    moto = Moto(f"http://{host}:{port}")
    set_config = f"{moto.url}/moto-api/config"
    requests.post(set_config, json={"lambda": {"use_docker": False}}, timeout=10).raise_for_status()
    try:
        yield moto
    finally:
        # The config is process-wide: give later in-process mocks their default back.
        requests.post(set_config, json={"lambda": {"use_docker": True}}, timeout=10)
        moto.reset()
        server.stop()


@pytest.fixture
def moto(moto_server) -> Moto:
    """A fresh account with the stack in it."""
    moto_server.reset()
    moto_server.create_stack()
    return moto_server


@pytest.fixture(scope="module")
def broken_gateway(local_env) -> Iterator[ServeProcess]:
    """The real handler behind the local gateway, with a database that cannot be opened:
    /healthz answers 503, like a release whose code cannot reach Aurora."""
    env = {**local_env, "DATABASE_URL": "sqlite:////nonexistent-folder/missing.sqlite"}
    with serve_process("--stage", "prod", env=env) as served:
        yield served


@pytest.fixture
def aws_files(tmp_path: Path) -> dict[str, str]:
    """No shared config or credentials files from the machine."""
    empty = tmp_path / "aws-empty"
    empty.write_text("")
    return {"AWS_CONFIG_FILE": str(empty), "AWS_SHARED_CREDENTIALS_FILE": str(empty)}
