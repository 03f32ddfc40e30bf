"""What a MySQL account can really do: log in as it and try, on MariaDB and MySQL 8 alike.

SHOW GRANTS text says what was granted; these probes show what the account
can do, roles and default roles included.
"""

from __future__ import annotations

from typing import Any

import pymysql

# Error codes that mean "not allowed" on MariaDB 10.11 and MySQL 8.0.
# https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html
DENIED = {
    1044: "ER_DBACCESS_DENIED_ERROR",
    1142: "ER_TABLEACCESS_DENIED_ERROR",
    1143: "ER_COLUMNACCESS_DENIED_ERROR",
    1227: "ER_SPECIFIC_ACCESS_DENIED_ERROR",
    1370: "ER_PROCACCESS_DENIED_ERROR",
    1959: "ER_INVALID_ROLE (MariaDB)",
    3530: "ER_ROLE_NOT_GRANTED (MySQL)",
}


def is_mariadb(cursor: Any) -> bool:
    cursor.execute("SELECT VERSION()")
    return "mariadb" in cursor.fetchone()[0].lower()


def over_grant(cursor: Any, *, user: str, schema: str, role: str) -> None:
    """What a generous admin may have left on the account: everything this job must take away.

    A role with ALL on the schema, granted and set as default (active at login);
    GRANT OPTION on an app table and on the migrations table; schema-, column-,
    routine- and global-level privileges.
    """
    account = f"`{user}`@`%`"
    cursor.execute(f"CREATE TABLE `{schema}`.`{VICTIM}` (id INT)")
    cursor.execute(f"CREATE ROLE `{role}`")
    cursor.execute(f"GRANT ALL PRIVILEGES ON `{schema}`.* TO `{role}`")
    cursor.execute(f"GRANT `{role}` TO {account}")
    # The one statement that differs: MariaDB says FOR, MySQL 8 says TO.
    preposition = "FOR" if is_mariadb(cursor) else "TO"
    cursor.execute(f"SET DEFAULT ROLE `{role}` {preposition} {account}")
    cursor.execute(f"GRANT SELECT, INSERT ON `{schema}`.`users` TO {account} WITH GRANT OPTION")
    cursor.execute(f"GRANT CREATE, DROP, ALTER ON `{schema}`.* TO {account}")
    cursor.execute(f"GRANT ALTER ON `{schema}`.`alembic_version` TO {account} WITH GRANT OPTION")
    cursor.execute(f"GRANT UPDATE (`first_name`) ON `{schema}`.`users` TO {account}")
    cursor.execute(f"CREATE PROCEDURE `{schema}`.`probe`() SELECT 1")
    cursor.execute(f"GRANT EXECUTE ON PROCEDURE `{schema}`.`probe` TO {account}")
    cursor.execute(f"GRANT PROCESS ON *.* TO {account}")


def drop_role(cursor: Any, role: str) -> None:
    cursor.execute(f"DROP ROLE IF EXISTS `{role}`")


VICTIM = "probe_victim"  # a table the admin creates for the DDL probes to aim at


def forbidden_statements(user: str, schema: str, role: str) -> dict[str, str]:
    """DDL, GRANT, SET ROLE and CALL: none of these may work for the API's user."""
    return {
        "create table": "CREATE TABLE probe_created (id INT)",
        "alter table": f"ALTER TABLE {VICTIM} ADD COLUMN extra INT",
        "create index": f"CREATE INDEX probe_index ON {VICTIM} (id)",
        "drop table": f"DROP TABLE {VICTIM}",
        "grant": f"GRANT SELECT ON `{schema}`.`users` TO `{user}`@`%`",
        "set role": f"SET ROLE `{role}`",
        "call": f"CALL `{schema}`.`probe`()",
    }


ALLOWED_STATEMENTS = {
    "select": "SELECT COUNT(*) FROM users",
    "insert": "INSERT INTO users (username, username_key, password_hash, first_name, last_name,"
    " account_created, account_updated)"
    " VALUES ('probe@example.com', 'probe@example.com', 'x', 'p', 'p', NOW(), NOW())",
    "update": "UPDATE users SET first_name = first_name WHERE id < 0",
    "delete": "DELETE FROM product_images WHERE id < 0",
}


def outcomes(connect: Any, statements: dict[str, str]) -> dict[str, int | None]:
    """Run each statement in a fresh session of the account: None if it worked, else the code.

    Each session ends with a rollback: DML probes leave no row behind.
    """
    found: dict[str, int | None] = {}
    for name, sql in statements.items():
        connection = connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
            found[name] = None
        except (pymysql.err.OperationalError, pymysql.err.ProgrammingError) as error:
            found[name] = error.args[0]
        finally:
            connection.rollback()
            connection.close()
    return found
