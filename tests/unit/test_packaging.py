"""The distribution ships every folder of code and data (setuptools warns otherwise)."""

from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]


def test_every_folder_of_service_and_deploy_is_a_listed_package():
    # setup.cfg: packages = find: with include service, service.*, deploy, deploy.*
    packages = set(find_packages(str(ROOT), include=["service", "service.*", "deploy", "deploy.*"]))
    folders = {
        ".".join(path.relative_to(ROOT).parts)
        for top in ("service", "deploy")
        for path in [ROOT / top, *(ROOT / top).rglob("*")]
        if path.is_dir() and path.name != "__pycache__" and any(path.iterdir())
    }
    assert folders - packages == set()
