"""Fixtures for the workflow tests: moto as a server (the workflow's steps are separate
processes), the local API Gateway serving the real handler, and one whose database is gone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from tests.support.deploy_moto import MotoServer
from tests.support.deploy_serve import ServeProcess, serve_process


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoServer]:
    """One server per module."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    moto = MotoServer(f"http://{host}:{port}")
    try:
        yield moto
    finally:
        moto.reset()
        server.stop()


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
