"""Aurora Serverless v2 auto-pause (issue 10 item 6): a paused instance accepts the TCP
connection and greets only once it has resumed, about 15 s later
(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2-auto-pause.html).
The API waits up to DB_CONNECT_TIMEOUT (20 s, under the 25 s Lambda timeout and API
Gateway's 29 s) for the greeting; only beyond that it answers 503 + Retry-After, and a
refused connection (nothing listening) is 503 at once."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from service import create_app
from service.config import from_env
from service.jobs import migrate
from tests.support.tcp_proxy import TcpProxy
from tests.support.transport import ApiClient

LAMBDA_TIMEOUT_SECONDS = 25  # the API function's timeout (INTERFACES: Terraform sets it)


@pytest.fixture
def paused_cluster(cluster, tmp_path):
    """The migrated cluster behind a proxy that can hold the greeting back."""
    migrate.handler({"action": "upgrade"}, None)
    proxy = TcpProxy(("127.0.0.1", 3306))
    proxy.start()
    secret = cluster.app_secret()
    boto3.client("secretsmanager").put_secret_value(
        SecretId=cluster.app_arn,
        SecretString=json.dumps({**secret, "port": proxy.port}),
        VersionStages=["AWSCURRENT"],
    )
    yield proxy
    proxy.stop()


def _api(tmp_path, **overrides):
    app = create_app(
        {"BCRYPT_ROUNDS": 4, "IMAGES_DIR": str(tmp_path / "images"), "DATABASE_URL": None,
         **overrides}
    )  # fmt: skip
    return ApiClient(app, "apigw_v1")


def test_the_wait_for_the_database_fits_inside_the_lambda_timeout():
    budget = from_env({})["DB_CONNECT_TIMEOUT"]
    assert budget == 20
    assert budget < LAMBDA_TIMEOUT_SECONDS


@pytest.mark.slow
def test_first_request_after_a_pause_succeeds_when_the_resume_takes_15_seconds(
    paused_cluster, tmp_path
):
    # GIVEN a paused database: connections are accepted, the greeting comes 15 s later
    paused_cluster.greeting_delay = 15
    # WHEN the first request arrives (default settings, as on Lambda)
    response = _api(tmp_path).get("/healthz")
    # THEN it waits for the resume and succeeds
    assert response.status_code == 200, response.json


def test_a_database_that_never_greets_is_503_after_the_wait(paused_cluster, tmp_path):
    paused_cluster.stop()
    paused_cluster.blackhole = True
    paused_cluster.start()
    started = time.monotonic()
    response = _api(tmp_path, DB_CONNECT_TIMEOUT=2).get("/healthz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert time.monotonic() - started >= 2  # it did wait for the greeting


def test_a_refused_connection_is_503_without_waiting(paused_cluster, tmp_path):
    paused_cluster.stop()  # nothing listens: the connection is refused
    started = time.monotonic()
    response = _api(tmp_path).get("/healthz")  # the default 20 s wait
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert time.monotonic() - started < 5
