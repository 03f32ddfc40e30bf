"""`serve --package`: the unpacked folder goes away however serve stops, and a package this
machine cannot run is refused before anything is imported."""

from __future__ import annotations

import os
import platform
import re
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import requests

from tests.support.deploy_build import REPO
from tests.support.deploy_fakes import AARCH64, X86_64, elf_header

HANDLER = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'packaged'}\n"


def _package(path, extra: dict[str, bytes] | None = None):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("app.py", HANDLER)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def _env(tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    return {**os.environ, "TMPDIR": str(temp)}, temp


def _serve(package: Path) -> list[str]:
    return [sys.executable, "-m", "deploy", "serve", "--port", "0", "--handler", "app:handler",
            "--package", str(package)]  # fmt: skip


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_unpacked_folder_is_removed_when_serve_is_stopped(tmp_path, stop):
    env, temp = _env(tmp_path)
    process = subprocess.Popen(
        _serve(_package(tmp_path / "p.zip")),
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    url = None
    for line in process.stderr:
        if match := re.search(r"on (http://\S+?)/?$", line.strip()):
            url = match[1]
            break
    assert url, "serve did not start"
    (folder,) = temp.iterdir()  # the unpacked package
    assert folder.name.startswith("deploy-serve-") and (folder / "app.py").is_file()
    # The package really serves
    assert requests.get(f"{url}/anything", timeout=10).text == "packaged"
    # WHEN serve is stopped
    process.send_signal(stop)
    assert process.wait(timeout=30) == 0
    process.stderr.close()
    # THEN its unpacked copy is gone
    assert not folder.exists()


def test_package_for_another_architecture_is_refused_clearly(tmp_path):
    host = {"x86_64": "x86_64", "aarch64": "arm64"}[platform.machine()]
    other, machine = ("arm64", AARCH64) if host == "x86_64" else ("x86_64", X86_64)
    name = f"ext/_speedups.cpython-{sys.version_info[0]}{sys.version_info[1]}-x.so"
    package = _package(tmp_path / "other.zip", {name: elf_header(machine)})
    env, temp = _env(tmp_path)
    result = subprocess.run(
        _serve(package),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    error = result.stderr.strip().splitlines()[-1]
    assert error == (
        f"error: {package} is built for {other} ({name}) but this machine is {host}: "
        f"build one for it with python -m deploy package --arch {host} "
        f"-o build/lambda-{host}.zip"
    )
    assert "Traceback" not in result.stderr
    assert list(temp.iterdir()) == []
