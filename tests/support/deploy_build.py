"""Building and running `python -m deploy` in the deploy/ and .github/ tests."""

from __future__ import annotations

import contextlib
import fcntl
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

from deploy import bytecode

REPO = Path(__file__).resolve().parents[2]
# Shared with `python -m deploy package` runs in this checkout: warm after the first run.
WHEEL_CACHE = REPO / "build" / "cache" / "wheels"


@contextlib.contextmanager
def wheel_cache_lock() -> Iterator[None]:
    """Hold the wheel cache alone: pip writes downloaded wheels in place, so a build in
    another xdist worker could read a half-written one."""
    WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
    with (WHEEL_CACHE.parent / "wheels.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def python312() -> str:
    """The local CPython 3.12 (the target runtime's version); the tests need it."""
    found = bytecode.find_python("3.12")
    assert found, "python3.12 is required for the deploy tests (pyenv install 3.12)"
    return found


def run_deploy(
    *args: str, python: str = sys.executable, cwd: Path = REPO, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m deploy ...` as a user would."""
    return subprocess.run(
        [python, "-m", "deploy", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def build(output: Path, *args: str, project: Path = REPO) -> dict:
    """Build a package with the CLI and return its --json summary."""
    with wheel_cache_lock():
        result = run_deploy(
            "package",
            "--project",
            str(project),
            "--output",
            str(output),
            "--cache-dir",
            str(WHEEL_CACHE),
            "--json",
            *args,
        )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def unpack(archive: Path, dest: Path) -> Path:
    with zipfile.ZipFile(archive) as z:
        z.extractall(dest)
    return dest
