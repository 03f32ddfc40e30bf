"""Database URL, engine options and per-connection credentials for each environment.

- Local default: SQLite in the instance folder.
- ``DATABASE_URL``: any SQLAlchemy URL; MySQL on loopback runs without TLS,
  any other MySQL host requires verified TLS.
- ``DB_SECRET_ARN`` (AWS): the URL carries no credentials; they are read from
  Secrets Manager when each connection opens, re-read once on access denied.
"""

from __future__ import annotations

import functools
import logging
import ssl
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url

from service import connections, sqlite
from service.extensions import db
from service.secrets import SecretCache, SecretUnavailable

logger = logging.getLogger(__name__)

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Relative: Flask-SQLAlchemy puts the file in the instance folder.
DEFAULT_SQLITE_URL = "sqlite:///inventory.db"
RDS_CA_BUNDLE = Path(__file__).resolve().parent / "certs" / "global-bundle.pem"
ACCESS_DENIED = 1045  # MySQL ER_ACCESS_DENIED_ERROR: the password changed under us


def database_url(config: dict[str, Any]) -> URL:
    """The SQLAlchemy URL: from the secret's location, ``DATABASE_URL``, or local SQLite."""
    if config.get("DB_SECRET_ARN"):
        # Host, port and name may also come from the secret at connect time.
        url = URL.create(
            "mysql+pymysql",
            host=config.get("DB_HOST") or "",
            port=config.get("DB_PORT"),
            database=config.get("DB_NAME"),
        )
    else:
        url = make_url(config.get("DATABASE_URL") or DEFAULT_SQLITE_URL)
    if url.get_backend_name() in ("mysql", "mariadb"):
        # utf8mb4, or MySQL cannot store characters outside the BMP (emoji).
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url


@functools.cache
def tls_context(ca_file: str) -> ssl.SSLContext:
    """A verifying TLS context for the database (certificate and host name), built once."""
    context = ssl.create_default_context(cafile=ca_file)
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def tls_args(host: str | None, config: dict[str, Any]) -> dict[str, Any]:
    """pymysql arguments for TLS: verified against the RDS CA, except on loopback.

    An explicit context makes pymysql *require* TLS: a server that does not offer
    it is an error, never a silent fall back to plain text.
    """
    if host in LOCAL_HOSTS:
        # pymysql tries TLS by default: ~19 ms per connection for nothing on loopback.
        return {"ssl_disabled": True}
    return {"ssl": tls_context(str(config.get("DB_TLS_CA") or RDS_CA_BUNDLE))}


def engine_options(url: URL, config: dict[str, Any]) -> dict[str, Any]:
    """Engine options that fit Lambda: one pooled connection, recycle, bounded waits.

    No pre-ping: service/connections.py pings only idle connections and retries a read
    that finds its connection dead, so a warm read costs one round trip.
    """
    if url.get_backend_name() == "sqlite":
        return {"hide_parameters": True}
    # pymysql waits for the server's greeting with read_timeout: a database that
    # accepts but does not answer (Aurora resuming from zero) must cost only the
    # connect timeout. _use_query_timeouts restores the longer one afterwards.
    timeout = int(config["DB_CONNECT_TIMEOUT"])
    connect_args: dict[str, Any] = {
        "connect_timeout": timeout,
        "read_timeout": timeout,
        "write_timeout": timeout,
    }
    # With a secret the host is known only when connecting: CredentialInjector decides.
    own_tls = any(key.startswith("ssl") for key in url.query)
    if not config.get("DB_SECRET_ARN") and not own_tls:
        connect_args.update(tls_args(url.host, config))
    return {
        "hide_parameters": True,  # error messages never carry row values (password hashes)
        "pool_size": 1,  # Lambda serves one request at a time per container
        "max_overflow": 10,  # threads in local servers and tests
        "pool_timeout": int(config["DB_CONNECT_TIMEOUT"]),
        "pool_recycle": config["DB_POOL_RECYCLE"],  # below the server's idle timeout
        "connect_args": connect_args,
    }


class CredentialInjector:
    """A ``do_connect`` hook: current credentials from the secret for every new connection.

    On access denied (a rotation moved the password) it re-reads the secret
    and retries once, so warm containers survive rotations without errors.
    """

    def __init__(self, secrets: SecretCache, config: dict[str, Any]) -> None:
        self.secrets = secrets
        self.config = config
        self.refreshes = 0  # how often a refused password was replaced (observability, tests)
        self.fallback = {
            "host": config.get("DB_HOST"),
            "port": config.get("DB_PORT"),
            "dbname": config.get("DB_NAME"),
        }

    def _apply(self, secret: dict[str, Any], cparams: dict[str, Any]) -> None:
        try:
            cparams["user"] = secret["username"]
            cparams["password"] = secret["password"]
        except KeyError as error:
            raise SecretUnavailable(f"secret {self.secrets.secret_id} lacks {error}") from None
        host = secret.get("host") or self.fallback["host"]
        if not host:
            raise SecretUnavailable("no database host in the secret or DB_HOST")
        cparams["host"] = host
        cparams.update(tls_args(host, self.config))
        try:
            cparams["port"] = int(secret.get("port") or self.fallback["port"] or 3306)
        except (TypeError, ValueError):
            raise SecretUnavailable(f"secret {self.secrets.secret_id} has a bad port") from None
        cparams["database"] = secret.get("dbname") or self.fallback["dbname"]

    def __call__(self, dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        import pymysql

        self._apply(self.secrets.get(), cparams)
        try:
            return connections.connect(*cargs, **cparams)
        except pymysql.err.OperationalError as error:
            if error.args[0] != ACCESS_DENIED:
                raise
            logger.info("database refused the cached credentials; re-reading the secret")
        self.refreshes += 1
        self._apply(self.secrets.get(force_fetch=True), cparams)
        return connections.connect(*cargs, **cparams)


def _lean_connect(_dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
    return connections.connect(*cargs, **cparams)


def _use_query_timeouts(seconds: int) -> Any:
    def listener(dbapi_connection: Any, _record: Any) -> None:
        # pymysql has no public setter; it applies these before every read and write.
        dbapi_connection._read_timeout = seconds
        dbapi_connection._write_timeout = seconds

    return listener


def configure_database(app: Flask) -> None:
    """Set the Flask-SQLAlchemy config keys from the service's own settings."""
    url = database_url(app.config)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(url, app.config)


def register_engine_events(app: Flask) -> None:
    """Hook per-connection setup onto the engine Flask-SQLAlchemy created."""
    with app.app_context():
        engine: Engine = db.engine
    if engine.dialect.name == "sqlite":
        sqlite.install(engine)
        return
    event.listen(engine, "connect", _use_query_timeouts(int(app.config["DB_READ_TIMEOUT"])))
    connections.install(engine, idle_ping_seconds=app.config["DB_IDLE_PING_SECONDS"])
    connections.install_session_retry(db.session)
    if app.config.get("DB_SECRET_ARN"):
        secrets = SecretCache(
            app.config["DB_SECRET_ARN"], extension_port=app.config.get("DB_SECRET_EXTENSION_PORT")
        )
        app.extensions["db_secrets"] = secrets
        injector = CredentialInjector(secrets, app.config)
        app.extensions["db_credentials"] = injector
        event.listen(engine, "do_connect", injector)
    else:
        event.listen(engine, "do_connect", _lean_connect)
