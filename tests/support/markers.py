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

# Fixtures that cost seconds each: package builds, Terraform runs, server processes.
SLOW_FIXTURES = frozenset()


def mark_by_fixtures(item: pytest.Item) -> None:
    names = set(getattr(item, "fixturenames", ()))
    params = item.callspec.params.values() if hasattr(item, "callspec") else ()
    if names & MARIADB_FIXTURES or any(p == "mariadb" for p in params):
        item.add_marker(pytest.mark.mariadb)
    if names & SLOW_FIXTURES:
        item.add_marker(pytest.mark.slow)
