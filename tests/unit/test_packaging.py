"""The distribution ships every folder of code and data (setuptools warns otherwise)."""

import subprocess
import sys
from pathlib import Path

import pytest
from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]


def test_every_folder_of_service_and_deploy_is_a_listed_package():
    # setup.cfg: packages = find: with include service, service.*, deploy, deploy.*
    packages = set(find_packages(str(ROOT), include=["service", "service.*", "deploy", "deploy.*"]))
    folders = {
        ".".join(path.relative_to(ROOT).parts)
        for top in ("service", "deploy")
        for path in [ROOT / top, *(ROOT / top).rglob("*")]
        if path.is_dir()
        and path.name != "__pycache__"
        and any(path.iterdir())
        # botocore's API-version folders (service/aws_data/s3/2006-03-01) are no package
        # names: their files ship as package data of the folder above (setup.cfg)
        and all(part.isidentifier() for part in path.relative_to(ROOT).parts)
    }
    assert folders - packages == set()


@pytest.mark.slow
def test_an_editable_install_prints_no_setuptools_notice(tmp_path):
    # `make run` and `make test` install the project in editable mode. With the flat layout
    # and no package_dir, setuptools installs an import hook and prints a boxed
    # "Editable installation" notice: noise a newcomer's first command should not show.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--quiet", "--no-deps", "-e", str(ROOT)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    notices = [line for line in result.stderr.splitlines() if "Warning" in line or "!!" in line]
    assert notices == []
    pth = list((venv / "lib").glob("python3.*/site-packages/__editable__.*.pth"))
    assert [p.read_text().strip() for p in pth] == [str(ROOT)]
