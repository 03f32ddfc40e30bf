"""Every file that .github/, deploy/, the README and docs/ name (in workflows, scripts,
code, comments and docs) exists in the repository: no document that was never written,
no path outside the repository. Build outputs (build/...) are made by the commands themselves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cicd.workflows import REPO

SCANNED = [".github", "deploy", "docs", "README.md"]
SUFFIXES = {".py", ".md", ".yml", ".yaml", ".sh", ".txt", ".toml", ".cfg", ".lock"}
# A relative path with a file extension, not part of a URL or an absolute path.
PATH = re.compile(
    r"(?<![\w/:.@-])((?:\.\./)*[\w.-]+(?:/[\w.-]+)+"
    r"\.(?:md|py|txt|ya?ml|sh|toml|cfg|json|tf|hcl|lock|pem|zip|ini|tfvars))\b(?!\.\w)"
)
GENERATED = ("build/", "../build/", "bench-results/")
# What terraform init and .github/scripts/terraform-init.sh write in CI.
GENERATED_NAMES = {
    ".terraform.lock.hcl",
    "ci.backend.hcl",
    "ci_backend_override.tf",
    "ci.auto.tfvars",
    "backend.tf",  # the git-ignored backend file docs/deploying.md tells the reader to write
}


def scanned_files() -> list[Path]:
    files = []
    for folder in SCANNED:
        top = REPO / folder
        for path in [top] if top.is_file() else sorted(top.rglob("*")):
            wanted = path.suffix in SUFFIXES or path.parent.name == "scripts"
            if path.is_file() and wanted and "__pycache__" not in path.parts:
                files.append(path)
    return files


def missing_references(path: Path, text: str) -> list[str]:
    """Paths a file names that exist neither from the root, nor beside it, nor from
    terraform/ (where the Terraform scripts run)."""
    missing = []
    for number, line in enumerate(text.splitlines(), 1):
        for token in PATH.findall(line):
            if token.startswith(GENERATED) or token.rsplit("/", 1)[-1] in GENERATED_NAMES:
                continue
            bases = (REPO, path.parent, REPO / "terraform")
            if not any((base / token).exists() for base in bases):
                missing.append(f"{path.relative_to(REPO)}:{number}: {token}")
    return missing


@pytest.mark.parametrize("path", scanned_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_named_file_exists(path):
    assert missing_references(path, path.read_text()) == []


def test_the_check_finds_missing_and_outside_paths():
    text = (
        "# see docs/never-written.md and shared/notes/platform-facts.md\n"
        "fine: deploy/README.md, ../build/lambda.zip, https://example.com/docs/a.md\n"
        "x = '/var/task/service/app.py'\n"
    )
    assert missing_references(REPO / "deploy" / "x.py", text) == [
        "deploy/x.py:1: docs/never-written.md",
        "deploy/x.py:1: shared/notes/platform-facts.md",
    ]


def test_something_is_scanned():
    names = {p.relative_to(REPO).as_posix() for p in scanned_files()}
    assert {".github/workflows/deploy.yml", ".github/scripts/terraform-init.sh"} <= names
    assert {"deploy/README.md", "deploy/targets.py", "deploy/package-excludes.txt"} <= names
    assert {"README.md", "docs/deploying.md", "docs/development.md"} <= names
