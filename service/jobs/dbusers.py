"""MySQL accounts for the API: the application user and its rotation twin.

Alternating users: the secret names either ``app`` or ``app_clone``; rotation
sets a new password on the one not in use, so the credentials that warm
containers hold keep working until the rotation after next.

Both accounts hold exactly SELECT, INSERT, UPDATE and DELETE on the app's
tables: no other privilege at any level, no GRANT OPTION, no role (granted or
default). The SQL runs on MariaDB (local, tests) and MySQL 8 / Aurora MySQL 3:

- privileges are read from ``information_schema`` (``USER_``, ``SCHEMA_``,
  ``TABLE_`` and ``COLUMN_PRIVILEGES``, the same columns in both) and from
  ``mysql.procs_priv`` (routines; the same table in both), never parsed out of
  ``SHOW GRANTS`` text, whose format differs between the two;
- granted roles are the ``SHOW GRANTS`` lines ``GRANT <roles> TO ...`` (both
  print role lists as quoted identifiers, ``r`` or ``r@host``), revoked with
  the same role list;
- the one statement that differs, ``SET DEFAULT ROLE NONE``, takes ``FOR``
  on MariaDB and ``TO`` on MySQL; ``SELECT VERSION()`` tells them apart.

Statements that embed identifiers are sent without parameters, so the driver
never %-formats them: a ``%`` in a schema pattern is just a character.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import pymysql

from service.db import tls_args

APP_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")  # DML only: no DDL, no GRANT
CLONE_SUFFIX = "_clone"
ACCOUNT_HOST = "%"
MIGRATIONS_TABLE = "alembic_version"  # migrations are the admin's business
# MySQL 8 / Aurora MySQL 3 user names: at most 32 characters.
# https://dev.mysql.com/doc/refman/8.0/en/replication-features-user-names.html
MAX_USER_NAME = 32
_USER_NAME = re.compile(r"[A-Za-z0-9_]+")
_ROLE = r"`(?:[^`]|``)+`(?:@`(?:[^`]|``)*`)?"
_ROLE_GRANT = re.compile(rf"GRANT (?P<roles>{_ROLE}(?:\s*,\s*{_ROLE})*) TO .+", re.DOTALL)
# mysql.procs_priv.Proc_priv values -> the privilege names REVOKE takes.
_ROUTINE_PRIVILEGES = {
    "Execute": "EXECUTE",
    "Alter Routine": "ALTER ROUTINE",
    "Grant": "GRANT OPTION",
}


# (schema, table, column, privilege, grantable) at each level; the same views in both servers.
_PRIVILEGE_QUERIES = (
    "SELECT NULL, NULL, NULL, PRIVILEGE_TYPE, IS_GRANTABLE"
    " FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = %s",
    "SELECT TABLE_SCHEMA, NULL, NULL, PRIVILEGE_TYPE, IS_GRANTABLE"
    " FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = %s",
    "SELECT TABLE_SCHEMA, TABLE_NAME, NULL, PRIVILEGE_TYPE, IS_GRANTABLE"
    " FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = %s",
    "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, PRIVILEGE_TYPE, IS_GRANTABLE"
    " FROM information_schema.COLUMN_PRIVILEGES WHERE GRANTEE = %s",
)


class PrivilegeError(Exception):
    """The account still holds something other than DML on the app's tables."""


class Grant(NamedTuple):
    """One privilege an account holds: ``target`` is SQL (``*.*``, `` `db`.* ``, `` `db`.`t` ``)."""

    privilege: str
    target: str
    column: str | None = None

    def revoke(self, account: str) -> str:
        column = f" ({quote(self.column)})" if self.column else ""
        return f"REVOKE {self.privilege}{column} ON {self.target} FROM {account}"


def quote(identifier: str) -> str:
    """A backtick-quoted identifier, whatever it holds (backticks are doubled)."""
    return "`" + identifier.replace("`", "``") + "`"


def check_user_name(username: str) -> str:
    """Refuse a user name that is not plain ASCII letters, digits and ``_`` of at most 32."""
    # fullmatch: ``$`` would let a trailing newline through.
    if not _USER_NAME.fullmatch(username) or len(username) > MAX_USER_NAME:
        raise ValueError(
            f"refusing user name {username!r}: use 1..{MAX_USER_NAME} of A-Z, a-z, 0-9 and _"
        )
    return username


def account(username: str) -> str:
    """The account as a SQL literal, ``'app'@'%'`` (safe: the name is checked)."""
    return f"'{check_user_name(username)}'@'{ACCOUNT_HOST}'"


def twin(username: str) -> str:
    """The other user of the alternating pair; both names must fit MySQL's 32 characters."""
    check_user_name(username)
    if username.endswith(CLONE_SUFFIX):
        return username.removesuffix(CLONE_SUFFIX)
    return check_user_name(username + CLONE_SUFFIX)


def connect(
    secret: dict[str, Any],
    config: dict[str, Any],
    *,
    timeout: float | None = None,
    query_timeout: float | None = None,
    **options: Any,
) -> Any:
    """One connection attempt with the secret's credentials, TLS-verified unless on loopback.

    ``timeout`` bounds both the TCP connect and the wait for the server's
    greeting (a resuming Aurora accepts the connection and greets later);
    ``query_timeout`` then applies to every statement.
    """
    host = secret.get("host") or config.get("DB_HOST")
    if not host:
        raise ValueError("no database host in the secret or DB_HOST")
    timeout = timeout or float(config.get("DB_CONNECT_TIMEOUT") or 5)
    arguments: dict[str, Any] = {
        "host": host,
        "port": int(secret.get("port") or config.get("DB_PORT") or 3306),
        "user": secret["username"],
        "password": secret["password"],
        "database": secret.get("dbname") or config.get("DB_NAME"),
        "connect_timeout": timeout,
        "read_timeout": timeout,
        "write_timeout": timeout,
        "charset": "utf8mb4",
        "autocommit": True,
        **tls_args(host, config),
        **options,
    }
    connection = pymysql.connect(**arguments)
    if query_timeout is not None:
        # pymysql has no public setter; it applies these before every read and write.
        connection._read_timeout = connection._write_timeout = query_timeout
    return connection


def app_tables(cursor: Any, schema: str) -> list[str]:
    """The application's tables in the schema (everything but the migrations table)."""
    cursor.execute(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s"
        " AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME <> %s ORDER BY TABLE_NAME",
        (schema, MIGRATIONS_TABLE),
    )
    return [row[0] for row in cursor.fetchall()]


def user_exists(cursor: Any, username: str) -> bool:
    """True if the account exists (on the host pattern we manage)."""
    cursor.execute(
        "SELECT COUNT(*) FROM mysql.user WHERE User = %s AND Host = %s", (username, ACCOUNT_HOST)
    )
    return bool(cursor.fetchone()[0])


def set_password(cursor: Any, username: str, password: str) -> None:
    """Create the account if needed and set its password (idempotent)."""
    check_user_name(username)
    cursor.execute(
        "CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (username, ACCOUNT_HOST, password)
    )
    cursor.execute("ALTER USER %s@%s IDENTIFIED BY %s", (username, ACCOUNT_HOST, password))


def expected_grants(schema: str, tables: list[str]) -> set[Grant]:
    """Exactly DML on each of the app's tables."""
    return {
        Grant(privilege, f"{quote(schema)}.{quote(table)}")
        for table in tables
        for privilege in APP_PRIVILEGES
    }


def held_grants(cursor: Any, username: str) -> set[Grant]:
    """Every privilege the account holds directly, GRANT OPTION included (USAGE is not one)."""
    held: set[Grant] = set()
    for query in _PRIVILEGE_QUERIES:
        cursor.execute(query, (account(username),))
        for schema, table, column, privilege, grantable in cursor.fetchall():
            target = _target(schema, table)
            if privilege.upper() != "USAGE":
                held.add(Grant(privilege.upper(), target, column))
            if grantable == "YES":
                held.add(Grant("GRANT OPTION", target))
    cursor.execute(
        "SELECT Db, Routine_name, Routine_type, Proc_priv FROM mysql.procs_priv"
        " WHERE User = %s AND Host = %s",
        (username, ACCOUNT_HOST),
    )
    for schema, routine, kind, privileges in cursor.fetchall():
        target = f"{kind} {quote(schema)}.{quote(routine)}"
        names = privileges if isinstance(privileges, set) else str(privileges).split(",")
        for privilege in filter(None, names):
            held.add(Grant(_ROUTINE_PRIVILEGES[privilege], target))
    return held


def _target(schema: str | None, table: str | None) -> str:
    if schema is None:
        return "*.*"
    return f"{quote(schema)}.{quote(table) if table else '*'}"


def granted_roles(cursor: Any, username: str) -> list[str]:
    """The role lists granted to the account, as SHOW GRANTS prints them (quoted)."""
    cursor.execute("SHOW GRANTS FOR %s@%s", (username, ACCOUNT_HOST))
    found = []
    for (line,) in cursor.fetchall():
        match = _ROLE_GRANT.fullmatch(line)
        if match:
            found.append(match["roles"])
    return found


def _grant_option_last(grant: Grant) -> tuple[bool, str, str, str]:
    return (grant.privilege == "GRANT OPTION", grant.target, grant.privilege, grant.column or "")


def _is_mariadb(cursor: Any) -> bool:
    cursor.execute("SELECT VERSION()")
    return "mariadb" in str(cursor.fetchone()[0]).lower()


def set_privileges(cursor: Any, username: str, schema: str, tables: list[str]) -> None:
    """Grant exactly DML on the app's tables: add what is missing, take away everything else.

    Grants are added before anything is revoked, and the needed ones are never
    revoked, so requests in flight under this account keep working.
    """
    grantee = account(username)
    expected = expected_grants(schema, tables)
    for table in tables:
        target = f"{quote(schema)}.{quote(table)}"
        cursor.execute(f"GRANT {', '.join(APP_PRIVILEGES)} ON {target} TO {grantee}")
    # A default role would be activated at login: clear it before revoking the roles.
    preposition = "FOR" if _is_mariadb(cursor) else "TO"
    cursor.execute(f"SET DEFAULT ROLE NONE {preposition} {grantee}")
    for roles in granted_roles(cursor, username):
        cursor.execute(f"REVOKE {roles} FROM {grantee}")
    # GRANT OPTION last: it keeps a grant row alive until every privilege in it is gone.
    for grant in sorted(held_grants(cursor, username) - expected, key=_grant_option_last):
        cursor.execute(grant.revoke(grantee))
    held = held_grants(cursor, username)
    extra, missing = held - expected, expected - held
    left = granted_roles(cursor, username)
    if extra or missing or left:
        raise PrivilegeError(
            f"{username} still differs from DML on the app tables: extra {sorted(extra)},"
            f" missing {sorted(missing)}, roles {left}"
        )
