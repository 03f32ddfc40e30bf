"""Fixtures for the terraform/ checks: the parsed configuration, Terraform's CLI config, copies."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.terraform.harness import render, terraform, tfconfig
from tests.terraform.harness.repo import SUMMARY, TERRAFORM_DIR


@pytest.fixture(scope="session")
def tf_dir() -> Path:
    """The root configuration under test."""
    return TERRAFORM_DIR


@pytest.fixture(scope="session")
def tf_config() -> tfconfig.Config:
    """terraform/ parsed by python-hcl2."""
    return tfconfig.load(TERRAFORM_DIR)


@pytest.fixture(scope="session")
def cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF_CLI_CONFIG_FILE whose dev_overrides serve the committed AWS provider schema."""
    return terraform.cli_config(tmp_path_factory.mktemp("terraform-cli"))


@pytest.fixture(scope="session")
def lambda_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small zip for var.package_path (filebase64sha256 needs a file)."""
    path = tmp_path_factory.mktemp("package") / "lambda.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("service/__init__.py", "")
    return path


@pytest.fixture(scope="session")
def stack(cli_config, tmp_path_factory, lambda_package) -> render.Run:
    """terraform/ with default inputs (staging), applied by real Terraform to a mocked AWS."""
    values = render.default_variables("staging", lambda_package)
    run = render.run(TERRAFORM_DIR, cli_config, tmp_path_factory.mktemp("stack"), values)
    assert run.status == "pass", run.describe()
    return run


@pytest.fixture
def tf_copy(tmp_path: Path) -> Callable[..., Path]:
    """Copy terraform/ into tmp_path, apply ``{file: (old, new)}`` edits, return the copy.

    Each ``old`` must occur in the file: a mutation that silently does nothing
    would make a negative test pass for the wrong reason.
    """

    def make(edits: dict[str, list[tuple[str, str]]] | None = None) -> Path:
        copy = tmp_path / "terraform"
        shutil.copytree(
            TERRAFORM_DIR, copy, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*")
        )
        for name, replacements in (edits or {}).items():
            path = copy / name
            text = path.read_text() if path.exists() else ""
            for old, new in replacements:
                assert old in text, f"mutation target not found in {name}: {old!r}"
                text = text.replace(old, new, 1)
            path.write_text(text)
        return copy

    return make


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print what the IAM checks verified, also without ``-s``."""
    if SUMMARY:
        terminalreporter.section("terraform checks")
        for line in SUMMARY:
            terminalreporter.write_line(line)
