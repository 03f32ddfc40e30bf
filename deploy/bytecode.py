"""Compile the package's bytecode with the target Python, reproducibly.

Lambda cannot write __pycache__ (/var/task is read-only), so without shipped bytecode
every cold start compiles the whole stack again (1.46 s instead of 0.43 s measured on
3.12). The .pyc must come from the target version (3.11's are ignored by 3.12), use
`unchecked-hash` validation (no source mtimes, which the zip fixes to 1980 anyway), and
record paths as /var/task/... (not the staging folder) so the bytes do not depend on
where the build ran. Compilation is serial: in parallel mode (-j) marshal's reference
flags depend on which worker compiled what, and the output differs between runs.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from deploy.errors import DeployError

LAMBDA_TASK_ROOT = "/var/task"


def _version_of(python: str) -> str | None:
    try:
        result = subprocess.run(  # noqa: S603
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def find_python(version: str, explicit: str | None = None) -> str | None:
    """Find an interpreter of the given version: `explicit`, `pythonX.Y` on PATH, or pyenv's."""
    if explicit:
        found = _version_of(explicit)
        if found != version:
            raise DeployError(f"{explicit} is Python {found or '(not runnable)'}, need {version}")
        return explicit
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"))
    for candidate in candidates:
        # a pyenv shim exists on PATH even when that version is not selected; run it to know
        if candidate and _version_of(candidate) == version:
            return candidate
    return None


def compile_tree(python: str, root: Path, unchecked_hash: bool = True) -> None:
    """Write __pycache__/*.cpython-XY.pyc next to every .py under root."""
    mode = ["--invalidation-mode", "unchecked-hash"] if unchecked_hash else []
    result = subprocess.run(  # noqa: S603
        [
            python,
            "-m",
            "compileall",
            "-q",
            *mode,
            "-s",
            str(root.resolve()),
            "-p",
            LAMBDA_TASK_ROOT,
            str(root.resolve()),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        errors = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
        raise DeployError(f"compiling bytecode with {python} failed:\n{errors}")
