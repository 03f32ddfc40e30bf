"""MySQL accounts for the API: the application user and its rotation twin.

Alternating users: the secret names either ``app`` or ``app_clone``; rotation
sets a new password on the one not in use, so the credentials that warm
containers hold keep working until the rotation after next.
"""

from __future__ import annotations

import re
from typing import Any

import pymysql

from service.db import tls_args

APP_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")  # DML only: no DDL, no GRANT
CLONE_SUFFIX = "_clone"
ACCOUNT_HOST = "%"
MIGRATIONS_TABLE = "alembic_version"  # migrations are the admin's business
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_GRANT = re.compile(r"^GRANT (?P<privileges>.+?) ON (?P<target>\S+) TO ", re.IGNORECASE)


def _quote(identifier: str) -> str:
    if not _IDENTIFIER.match(identifier):
        raise ValueError(f"refusing unusual identifier {identifier!r}")
    return f"`{identifier}`"


def twin(username: str) -> str:
    """The other user of the alternating pair."""
    if username.endswith(CLONE_SUFFIX):
        return username.removesuffix(CLONE_SUFFIX)
    return username + CLONE_SUFFIX


def connect(secret: dict[str, Any], config: dict[str, Any], **options: Any) -> Any:
    """A pymysql connection with the secret's credentials, TLS-verified unless on loopback."""
    host = secret.get("host") or config.get("DB_HOST")
    if not host:
        raise ValueError("no database host in the secret or DB_HOST")
    return pymysql.connect(
        host=host,
        port=int(secret.get("port") or config.get("DB_PORT") or 3306),
        user=secret["username"],
        password=secret["password"],
        database=secret.get("dbname") or config.get("DB_NAME"),
        connect_timeout=int(config.get("DB_CONNECT_TIMEOUT") or 5),
        charset="utf8mb4",
        autocommit=True,
        **tls_args(host, config),
        **options,
    )


def app_tables(cursor: Any, schema: str) -> list[str]:
    """The application's tables in the schema (everything but the migrations table)."""
    cursor.execute(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s"
        " AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME <> %s ORDER BY TABLE_NAME",
        (schema, MIGRATIONS_TABLE),
    )
    return [row[0] for row in cursor.fetchall()]


def user_exists(cursor: Any, username: str) -> bool:
    """True if the account exists (on any host pattern we manage)."""
    cursor.execute(
        "SELECT COUNT(*) FROM mysql.user WHERE User = %s AND Host = %s", (username, ACCOUNT_HOST)
    )
    return bool(cursor.fetchone()[0])


def set_password(cursor: Any, username: str, password: str) -> None:
    """Create the account if needed and set its password (idempotent)."""
    _quote(username)
    cursor.execute(
        "CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (username, ACCOUNT_HOST, password)
    )
    cursor.execute("ALTER USER %s@%s IDENTIFIED BY %s", (username, ACCOUNT_HOST, password))


def _grants(cursor: Any, username: str) -> list[tuple[str, str]]:
    cursor.execute("SHOW GRANTS FOR %s@%s", (username, ACCOUNT_HOST))
    found = []
    for (line,) in cursor.fetchall():
        match = _GRANT.match(line)
        if match:
            found.append((match["privileges"].strip(), match["target"]))
    return found


def set_privileges(cursor: Any, username: str, schema: str, tables: list[str]) -> None:
    """Grant exactly DML on the app's tables: add what is missing, revoke anything else.

    Grants are added before anything is revoked, and the needed ones are never
    revoked, so requests in flight under this account keep working.
    """
    expected = {f"{_quote(schema)}.{_quote(table)}" for table in tables}
    privileges = ", ".join(APP_PRIVILEGES)
    for target in sorted(expected):
        cursor.execute(f"GRANT {privileges} ON {target} TO %s@%s", (username, ACCOUNT_HOST))
    for granted, target in _grants(cursor, username):
        if granted.upper() == "USAGE":
            continue  # the right to log in at all
        extra = [p.strip() for p in granted.split(",")]
        if target in expected:
            extra = [p for p in extra if p.upper() not in APP_PRIVILEGES]
        if extra:
            revoke = f"REVOKE {', '.join(extra)} ON {target} FROM %s@%s"
            cursor.execute(revoke, (username, ACCOUNT_HOST))


def privileges_of(cursor: Any, username: str) -> set[tuple[str, str]]:
    """(privilege, target) pairs the account holds, for checks and tests."""
    pairs = set()
    for granted, target in _grants(cursor, username):
        for privilege in granted.split(","):
            pairs.add((privilege.strip().upper(), target.replace("`", "")))
    return pairs
