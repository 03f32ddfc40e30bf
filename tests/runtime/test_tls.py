"""Verified TLS against a real TLS-enabled MariaDB started for this module.

The server listens on 127.0.0.2 (not a "local" host, so TLS is required) with a
certificate from a throwaway CA. Trusting that CA works and the session is
encrypted; the Amazon RDS bundle (the production default) refuses the
certificate, and a certificate for another host name is refused.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time

import boto3
import pymysql
import pytest
from sqlalchemy import text

from service.extensions import db
from service.jobs import dbusers
from tests.support.apps import aws_app
from tests.support.tcp_proxy import TcpProxy
from tests.support.transport import ApiClient

HOST = "127.0.0.2"
MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_certificates(directory, san):
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
             "ca.pem", "-days", "2", "-subj", "/CN=Test CA", cwd=directory)  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
             "server.csr", "-subj", "/CN=db.test", cwd=directory)  # fmt: skip
    (directory / "ext.cnf").write_text(f"subjectAltName={san}\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf",
             cwd=directory)  # fmt: skip


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """A private MariaDB with TLS on 127.0.0.2, and a user that may log in over TCP."""
    directory = tmp_path_factory.mktemp("tlsdb")
    _make_certificates(directory, f"IP:{HOST},DNS:db.test")
    subprocess.run(
        ["mariadb-install-db", "--no-defaults", f"--datadir={directory / 'data'}", "--user=root",
         "--auth-root-authentication-method=normal", "--skip-test-db"],
        check=True, capture_output=True,
    )  # fmt: skip
    port, sock = _free_port(), directory / "mysqld.sock"
    server = subprocess.Popen(
        [MARIADBD, "--no-defaults", f"--datadir={directory / 'data'}", "--user=root",
         f"--port={port}", f"--bind-address={HOST}", f"--socket={sock}", "--skip-log-bin",
         f"--ssl-ca={directory / 'ca.pem'}", f"--ssl-cert={directory / 'server.pem'}",
         f"--ssl-key={directory / 'server.key'}", f"--pid-file={directory / 'pid'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection((HOST, port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the TLS MariaDB did not start")
        admin = pymysql.connect(unix_socket=str(sock), user="root", autocommit=True)
        with admin.cursor() as cursor:
            cursor.execute("CREATE DATABASE app")
            cursor.execute("CREATE USER 'tls'@'%' IDENTIFIED BY 'tls-password'")
            cursor.execute("GRANT ALL ON app.* TO 'tls'@'%'")
        admin.close()
        yield {"port": port, "ca": str(directory / "ca.pem")}
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def secret_for(aws):
    def make(server, host=HOST):
        value = {"username": "tls", "password": "tls-password", "host": host,
                 "port": server["port"], "dbname": "app"}  # fmt: skip
        client = boto3.client("secretsmanager")
        return client.create_secret(Name=f"tls-{time.monotonic_ns()}",
                                    SecretString=json.dumps(value))["ARN"]  # fmt: skip

    return make


def test_trusted_ca_gives_an_encrypted_session(tls_server, secret_for, tmp_path):
    app = aws_app(tmp_path, DB_SECRET_ARN=secret_for(tls_server), DB_TLS_CA=tls_server["ca"])
    assert ApiClient(app, "apigw_v1").get("/healthz").status_code == 200
    with app.app_context():
        cipher = db.session.execute(text("SHOW SESSION STATUS LIKE 'Ssl_cipher'")).one()[1]
        version = db.session.execute(text("SHOW SESSION STATUS LIKE 'Ssl_version'")).one()[1]
        db.engine.dispose()
    assert cipher
    assert version in ("TLSv1.2", "TLSv1.3")


def test_the_rds_bundle_refuses_a_certificate_it_did_not_sign(tls_server, secret_for, tmp_path):
    app = aws_app(tmp_path, DB_SECRET_ARN=secret_for(tls_server))  # default: RDS CA bundle
    response = ApiClient(app, "apigw_v1").get("/healthz")
    assert response.status_code == 503


def test_a_certificate_for_another_host_is_refused(tls_server, secret_for, tmp_path):
    # The same server reached as 127.0.0.3, an address its certificate does not name.
    proxy = TcpProxy((HOST, tls_server["port"]), host="127.0.0.3")
    proxy.start()
    try:
        secret = secret_for({"port": proxy.port}, host="127.0.0.3")
        app = aws_app(tmp_path, DB_SECRET_ARN=secret, DB_TLS_CA=tls_server["ca"])
        response = ApiClient(app, "apigw_v1").get("/healthz")
    finally:
        proxy.stop()
    assert response.status_code == 503


def test_job_connections_use_the_same_verified_tls(tls_server):
    secret = {"username": "tls", "password": "tls-password", "host": HOST,
              "port": tls_server["port"], "dbname": "app"}  # fmt: skip
    connection = dbusers.connect(secret, {"DB_TLS_CA": tls_server["ca"]})
    with connection.cursor() as cursor:
        cursor.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        assert cursor.fetchone()[1]
    connection.close()
    with pytest.raises(pymysql.err.OperationalError):
        dbusers.connect(secret, {})  # the RDS bundle does not trust the test CA
