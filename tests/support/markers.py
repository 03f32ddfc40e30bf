"""Which tests need what, decided by the fixtures they use (tests/conftest.py applies it).

``mariadb``: the test needs the MySQL server (the mariadb half of the ``database_url``
parameter, or a throwaway database of its own). ``slow``: the test builds a package,
runs Terraform or a workflow, or starts processes and servers; modules that are slow as
a whole say so with ``pytestmark = pytest.mark.slow``. ``make test-fast`` deselects both.
"""

from __future__ import annotations

import pytest

# Fixtures that need the MySQL server.
MARIADB_FIXTURES = frozenset({"mysql_database"})

# Fixtures that cost seconds each: a Lambda package build (and what is unpacked or
# installed for it, or the locked wheels it is built from), a `deploy serve` process,
# moto as a server, a private MariaDB.
SLOW_FIXTURES = frozenset(
    {"x86_build", "x86_zip", "x86_dir", "runtime_dir", "locked_extensions", "gateway",
     "broken_gateway", "moto_server", "tls_server"}
)  # fmt: skip


def mark_by_fixtures(item: pytest.Item) -> None:
    names = set(getattr(item, "fixturenames", ()))
    params = item.callspec.params.values() if hasattr(item, "callspec") else ()
    if names & MARIADB_FIXTURES or any(p == "mariadb" for p in params):
        item.add_marker(pytest.mark.mariadb)
    if names & SLOW_FIXTURES:
        item.add_marker(pytest.mark.slow)
