"""The API on AWS-style configuration: credentials from the secret, rotation, TLS, outages."""

from __future__ import annotations

import json
import ssl
import threading
import time

import boto3
import pytest

from service.db import RDS_CA_BUNDLE, database_url, engine_options, tls_context
from service.extensions import db
from service.jobs import dbusers
from tests.support.apps import aws_app
from tests.support.databases import admin_connection
from tests.support.factories import create_account, create_product
from tests.support.tcp_proxy import TcpProxy
from tests.support.transport import ApiClient


def _set_password_outside(cluster, username, password):
    connection = admin_connection()
    with connection.cursor() as cursor:
        dbusers.set_password(cursor, username, password)
    connection.close()


def test_api_works_with_credentials_from_the_secret(migrated, tmp_path):
    api = ApiClient(aws_app(tmp_path), "apigw_v1")
    assert api.get("/healthz").status_code == 200
    owner = create_account(api)
    assert api.get(f"/v1/product/{create_product(api, owner)['id']}").status_code == 200


def test_refused_password_is_re_read_and_the_connection_retried(migrated, tmp_path):
    # GIVEN a warm app holding the current credentials
    app = aws_app(tmp_path)
    api = ApiClient(app, "apigw_v1")
    assert api.get("/healthz").status_code == 200
    # WHEN the password changes (as a rotation's setSecret + finishSecret would do)
    secret = migrated.app_secret()
    _set_password_outside(migrated, secret["username"], "a-new-password-1234")
    boto3.client("secretsmanager").put_secret_value(
        SecretId=migrated.app_arn,
        SecretString=json.dumps({**secret, "password": "a-new-password-1234"}),
        VersionStages=["AWSCURRENT"],
    )
    with app.app_context():
        db.engine.dispose()  # the next request needs a new connection
    # THEN the first new connection is refused, the secret re-read, the request served
    assert api.get("/healthz").status_code == 200
    assert app.extensions["db_credentials"].refreshes == 1


def test_unreadable_secret_is_503_not_500(migrated, tmp_path):
    api = ApiClient(aws_app(tmp_path, DB_SECRET_ARN=migrated.app_arn + "-gone"), "apigw_v1")
    response = api.get("/healthz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["detail"] == "The database is unavailable; try again shortly."


def test_tls_context_verifies_against_the_bundled_rds_ca():
    context = tls_context(str(RDS_CA_BUNDLE))
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    loaded = context.get_ca_certs()
    # Every certificate of the bundle is loaded as an authority (however many AWS ships:
    # no count to update when the bundle is refreshed), each an Amazon RDS CA.
    assert len(loaded) == RDS_CA_BUNDLE.read_text().count("-----BEGIN CERTIFICATE-----") > 0
    authorities = {dict(item[0] for item in ca["subject"])["commonName"] for ca in loaded}
    assert all(name.startswith("Amazon RDS ") for name in authorities), authorities
    assert "Amazon RDS eu-west-1 Root CA RSA2048 G1" in authorities


def test_remote_database_urls_require_tls_local_ones_do_not():
    config = {"DB_CONNECT_TIMEOUT": 5, "DB_READ_TIMEOUT": 15, "DB_POOL_RECYCLE": 280}
    remote = database_url({"DATABASE_URL": "mysql+pymysql://u:p@db.example.com/app"})
    local = database_url({"DATABASE_URL": "mysql+pymysql://u:p@127.0.0.1/app"})
    assert isinstance(engine_options(remote, config)["connect_args"]["ssl"], ssl.SSLContext)
    assert engine_options(local, config)["connect_args"]["ssl_disabled"] is True
    assert remote.query["charset"] == "utf8mb4"


def test_server_without_tls_is_refused_not_used_in_plain_text(migrated, tmp_path):
    # 127.0.0.2 is not one of the local hosts: TLS is required, and MariaDB here has none.
    proxy = TcpProxy(("127.0.0.1", 3306), host="127.0.0.2")
    proxy.start()
    try:
        app = aws_app(tmp_path, DB_HOST="127.0.0.2", DB_PORT=proxy.port)
        secret = migrated.app_secret()
        boto3.client("secretsmanager").put_secret_value(
            SecretId=migrated.app_arn,
            SecretString=json.dumps({**secret, "host": "127.0.0.2", "port": proxy.port}),
            VersionStages=["AWSCURRENT"],
        )
        response = ApiClient(app, "apigw_v1").get("/healthz")
    finally:
        proxy.stop()
    assert response.status_code == 503


@pytest.fixture
def proxied(migrated, tmp_path):
    """The API reaching the database through a proxy the test can break."""
    proxy = TcpProxy(("127.0.0.1", 3306))
    proxy.start()
    secret = migrated.app_secret()
    boto3.client("secretsmanager").put_secret_value(
        SecretId=migrated.app_arn,
        SecretString=json.dumps({**secret, "port": proxy.port}),
        VersionStages=["AWSCURRENT"],
    )
    app = aws_app(tmp_path, DB_CONNECT_TIMEOUT=1)
    yield proxy, ApiClient(app, "apigw_v1")
    proxy.stop()


def _timed_get(api, path):
    started = time.perf_counter()
    response = api.get(path)
    return response, time.perf_counter() - started


def test_database_down_is_503_quickly_and_service_resumes(proxied, capsys):
    proxy, api = proxied
    assert api.get("/healthz").status_code == 200
    # The database goes away: its connections die and new ones are refused.
    proxy.stop()
    down, down_seconds = _timed_get(api, "/healthz")
    again, again_seconds = _timed_get(api, "/healthz")
    # It comes back on the same address.
    proxy.start()
    up, up_seconds = _timed_get(api, "/healthz")
    with capsys.disabled():
        print(
            f"\noutage: 503 in {down_seconds * 1000:.0f} ms and {again_seconds * 1000:.0f} ms; "
            f"first request after recovery 200 in {up_seconds * 1000:.0f} ms"
        )
    assert (down.status_code, again.status_code, up.status_code) == (503, 503, 200)
    assert down.headers["Retry-After"] == "5"
    assert max(down_seconds, again_seconds) < 2


def test_unresponsive_database_is_503_within_the_connect_timeout(proxied, capsys):
    proxy, api = proxied
    proxy.stop()
    proxy.blackhole = True  # accepts connections, never answers (e.g. Aurora resuming)
    proxy.start()
    response, seconds = _timed_get(api, "/healthz")
    with capsys.disabled():
        print(f"\nblack hole: 503 after {seconds:.2f} s (connect timeout 1 s)")
    proxy.stop()
    proxy.blackhole = False
    proxy.start()
    assert response.status_code == 503
    assert seconds < 3
    assert api.get("/healthz").status_code == 200


def test_connection_killed_mid_session_costs_no_failed_request(migrated, tmp_path):
    app = aws_app(tmp_path)
    api = ApiClient(app, "apigw_v1")
    assert api.get("/healthz").status_code == 200
    connection = admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s", (migrated.app_user,)
        )
        for (thread_id,) in cursor.fetchall():
            cursor.execute(f"KILL {int(thread_id)}")
    connection.close()
    # The pooled connection is dead; pre-ping notices and reconnects.
    assert api.get("/healthz").status_code == 200


def test_many_containers_share_nothing_but_the_secret(migrated, tmp_path):
    apps = [aws_app(tmp_path) for _ in range(3)]
    results = []

    def work(app):
        api = ApiClient(app, "apigw_v1")
        results.extend(api.get("/healthz").status_code for _ in range(20))

    threads = [threading.Thread(target=work, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 60


def test_queries_get_the_read_timeout_not_the_connect_timeout(migrated, tmp_path):
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    app = aws_app(tmp_path, DB_CONNECT_TIMEOUT=1, DB_READ_TIMEOUT=3)
    with app.app_context():
        assert db.session.execute(text("SELECT SLEEP(1.5)")).scalar() == 0
        started = time.perf_counter()
        with pytest.raises(OperationalError):
            db.session.execute(text("SELECT SLEEP(10)"))
        assert time.perf_counter() - started < 5
        db.session.rollback()
        db.engine.dispose()


@pytest.mark.parametrize("port", ["three-three-oh-six", "3306.5", ["3306"]])
def test_secret_with_an_unusable_port_is_503_not_500(migrated, tmp_path, port):
    secret = migrated.app_secret()
    boto3.client("secretsmanager").put_secret_value(
        SecretId=migrated.app_arn,
        SecretString=json.dumps({**secret, "port": port}),
        VersionStages=["AWSCURRENT"],
    )
    response = ApiClient(aws_app(tmp_path), "apigw_v1").get("/healthz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["detail"] == "The database is unavailable; try again shortly."


def test_api_reads_the_secret_through_the_extension_and_survives_a_rotation(migrated, tmp_path):
    from tests.support.secrets_extension import fake_extension

    client = boto3.client("secretsmanager")
    with fake_extension(client) as extension:
        app = aws_app(tmp_path, DB_SECRET_EXTENSION_PORT=extension.port)
        api = ApiClient(app, "apigw_v1")
        assert api.get("/healthz").status_code == 200
        assert len(extension.tokens) == 1 and app.extensions["db_secrets"]._client is None
        # A rotation: the extension keeps serving its cached (old) value
        secret = migrated.app_secret()
        extension.cached = json.dumps(secret)
        _set_password_outside(migrated, secret["username"], "a-new-password-1234")
        client.put_secret_value(
            SecretId=migrated.app_arn,
            SecretString=json.dumps({**secret, "password": "a-new-password-1234"}),
            VersionStages=["AWSCURRENT"],
        )
        with app.app_context():
            db.engine.dispose()
        # the refused password is re-read past the extension's cache: no failed request
        assert api.get("/healthz").status_code == 200
        assert app.extensions["db_credentials"].refreshes == 1
