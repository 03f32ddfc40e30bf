"""Fixtures for the fuzz and fault tests: the runtime tests' MariaDB + Secrets Manager
"cluster" (re-exported), and the fuzz seed in the report header."""

from __future__ import annotations

from tests.runtime.conftest import cluster, rotation_client  # noqa: F401  (fixtures)
