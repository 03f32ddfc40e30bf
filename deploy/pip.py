"""Run pip (the one of the interpreter running deploy) and report its failures clearly."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

from deploy.errors import DeployError

# pip.conf on some machines names index folders that do not exist; pip warns about
# each one on every call. Such lines are noise in our error messages.
_NOISE = ("is ignored: it is neither a file nor a directory",)


def run_pip(args: Sequence[str], *, what: str) -> str:
    """Run `python -m pip <args>` and return its stdout; raise DeployError on failure."""
    command = [sys.executable, "-m", "pip", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if not any(n in line for n in _NOISE)]
        detail = "\n".join(lines[-25:]) or result.stdout[-2000:]
        raise DeployError(f"{what} failed (pip exit {result.returncode}):\n{detail}")
    return result.stdout
