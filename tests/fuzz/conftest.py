"""Fixtures for the fuzz and fault tests: the runtime tests' MariaDB + Secrets Manager
"cluster" (re-exported), and the fuzz seed (printed by tests/conftest.py's header)."""

from __future__ import annotations

import os

import pytest

from tests.runtime.conftest import cluster, rotation_client  # noqa: F401  (fixtures)

# Fixed so that a failure replays; FUZZ_SEED=<n> explores elsewhere.
FUZZ_SEED = int(os.environ.get("FUZZ_SEED", "20261127"))


@pytest.fixture(scope="session")
def fuzz_seed():
    return FUZZ_SEED
