"""`python -m deploy serve` as a process, and the migrated SQLite environment it serves,
for the deploy/ and .github/ tests (and tests/fuzz's HTTP run)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.deploy_build import REPO


def migrated_local_env(folder: Path) -> dict[str, str]:
    """Environment for the embedded default: a migrated SQLite file and an images folder."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder}/app.sqlite",
        "IMAGES_DIR": str(folder / "images"),
        "SECRET_KEY": "test-secret",
        "BCRYPT_ROUNDS": "4",
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "service", "db", "upgrade"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return env


class ServeProcess:
    """A running `python -m deploy serve`; `url` ends with the stage prefix (no slash)."""

    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url
        self.log: list[str] = []


@contextmanager
def serve_process(
    *args: str,
    env: dict[str, str],
    python: str = sys.executable,
) -> Iterator[ServeProcess]:
    """Start serve on a free port and stop it (this process only) afterwards."""
    process = subprocess.Popen(
        [python, "-m", "deploy", "serve", "--port", "0", *args],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if match := re.search(r"serving .* on (http://\S+?)/?$", line.strip()):
            break
    else:
        process.wait(timeout=10)
        raise AssertionError("serve did not start:\n" + "".join(lines))
    served = ServeProcess(process, match[1])
    drain = threading.Thread(target=lambda: served.log.extend(process.stderr or ()), daemon=True)
    drain.start()
    try:
        yield served
    finally:
        process.terminate()
        process.wait(timeout=10)
        drain.join(timeout=5)
        process.stderr.close()
