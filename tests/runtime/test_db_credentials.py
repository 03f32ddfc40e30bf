"""The API on AWS-style configuration: credentials from the secret, rotation, TLS, outages."""

from __future__ import annotations

import io
import json
import ssl
import threading
import time

import boto3
import pytest

from service.db import RDS_CA_BUNDLE, database_url, engine_options, tls_context
from service.extensions import db
from service.jobs import dbusers
from tests.support import faults, images
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
def proxied(migrated, images_bucket, tmp_path):
    """The API as on AWS (secret, S3), reaching the database through a proxy the test
    can stop and black-hole (1 s connect and read timeouts)."""
    proxy = TcpProxy(("127.0.0.1", 3306))
    proxy.start()
    secret = migrated.app_secret()
    boto3.client("secretsmanager").put_secret_value(
        SecretId=migrated.app_arn,
        SecretString=json.dumps({**secret, "port": proxy.port}),
        VersionStages=["AWSCURRENT"],
    )
    app = aws_app(tmp_path, IMAGES_BUCKET=images_bucket, DB_CONNECT_TIMEOUT=1, DB_READ_TIMEOUT=1)
    yield proxy, app
    proxy.stop()


def _timed(send, *args, **kwargs):
    started = time.perf_counter()
    response = send(*args, **kwargs)
    return response, time.perf_counter() - started


def _upload(api, product, owner):
    files = {"image": (io.BytesIO(images.png()), "a.png")}
    return api.post(f"/v1/product/{product['id']}/image", data=files, headers=owner.auth)


def test_database_outage_is_503_at_once_and_the_service_resumes(proxied, caplog):
    proxy, app = proxied
    api = ApiClient(app, "apigw_v1")
    owner = create_account(api)
    product = create_product(api, owner)
    # GIVEN the database goes away with open connections (new ones are refused)
    proxy.stop()
    # THEN reads, writes and uploads are a clean 503 with Retry-After, without waiting
    for send, args in (
        (api.get, ("/healthz",)),
        (api.get, (f"/v1/product/{product['id']}",)),
        (_upload, (api, product, owner)),
    ):
        response, seconds = _timed(send, *args)
        assert response.status_code == 503, response.data[:300]
        assert response.headers["Retry-After"] == "5"
        assert seconds < 2
    # WHEN the host accepts connections but never answers (e.g. Aurora resuming)
    proxy.blackhole = True
    proxy.start()
    # THEN the wait ends with the 1 s connect timeout
    response, seconds = _timed(api.get, "/healthz")
    assert response.status_code == 503
    assert seconds < 3
    # WHEN it is back on the same address, the first request succeeds
    proxy.stop()
    proxy.blackhole = False
    proxy.start()
    assert api.get("/healthz").status_code == 200
    assert _upload(api, product, owner).status_code == 201
    assert api.get(f"/v1/product/{product['id']}").status_code == 200
    faults.assert_consistent(app, app.config["IMAGES_BUCKET"], caplog)


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
