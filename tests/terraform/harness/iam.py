"""IAM policies of the rendered stack, checked against AWS's own data and evaluated.

``policies(run)`` collects every policy the stack creates, as Terraform would
send it (render.py): role policies by role, and the resource-based ones (key
policy, bucket policy, VPC endpoint policies, trust policies).
``reference_problems`` checks each statement against the Service
Authorization Reference (sar.py); ``allows`` evaluates a request against a
role's statements the way IAM does for one identity-based policy set:
an explicit Deny wins, otherwise some Allow must match action, resource and
every condition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tests.terraform.harness import sar
from tests.terraform.harness.render import Run

# Managed policies the stack may attach, as AWS publishes them (statement by
# statement). An attachment of any other managed policy is reported.
# https://docs.aws.amazon.com/aws-managed-policy/latest/reference/
MANAGED_POLICIES: dict[str, list[dict]] = {
    "AmazonRDSEnhancedMonitoringRole": [
        {
            "actions": ["logs:CreateLogGroup", "logs:PutRetentionPolicy"],
            "resources": ["arn:aws:logs:*:*:log-group:RDS*"],
        },
        {
            "actions": [
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams",
                "logs:GetLogEvents",
            ],
            "resources": ["arn:aws:logs:*:*:log-group:RDS*:log-stream:*"],
        },
    ],
    "AmazonAPIGatewayPushToCloudWatchLogs": [
        {
            "actions": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
                "logs:GetLogEvents",
                "logs:FilterLogEvents",
            ],
            "resources": ["*"],
        }
    ],
}


@dataclass(frozen=True)
class Condition:
    test: str
    variable: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    """One statement, with concrete values."""

    source: str  # where it comes from: policy document address and sid
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[Condition, ...] = ()
    principals: tuple[tuple[str, str], ...] = ()


@dataclass
class Policies:
    """Statements by role name (managed policies included), and every document the
    stack writes with whether it is identity-based (role policies) or not."""

    roles: dict[str, list[Statement]] = field(default_factory=dict)
    written: dict[str, tuple[list[Statement], bool]] = field(default_factory=dict)
    # VPC endpoint policies by service ("s3", "secretsmanager"): a function in the
    # private subnets reaches these services only through its endpoint.
    endpoints: dict[str, list[Statement]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)


def _statements(source: str, doc: dict) -> list[Statement]:
    found = []
    for n, st in enumerate(doc.get("statement") or []):
        sid = st.get("sid") or f"#{n}"
        found.append(
            Statement(
                source=f"{source}/{sid}",
                effect=st.get("effect") or "Allow",
                actions=tuple(st.get("actions") or ()),
                resources=tuple(st.get("resources") or ()),
                conditions=tuple(
                    Condition(c["test"], c["variable"], tuple(c["values"]))
                    for c in st.get("condition") or []
                ),
                principals=tuple(
                    (p["type"], i) for p in st.get("principals") or [] for i in p["identifiers"]
                ),
            )
        )
    return found


def _managed(name: str, arn: str) -> list[Statement]:
    return [
        Statement(f"{name}/#{n}", "Allow", tuple(st["actions"]), tuple(st["resources"]))
        for n, st in enumerate(MANAGED_POLICIES[name])
    ]


def policies(run: Run) -> Policies:
    """Every policy of the rendered stack, linked to what it is attached to."""
    documents = {}
    for data in run.by_type("aws_iam_policy_document"):
        # The mock gives each document's `json` a unique random value; the
        # resources that use a document carry that same value.
        documents[data["values"]["json"]] = (data["address"], data["values"])
    result = Policies()

    def resolve(value: object, user: str) -> list[Statement] | None:
        if value in documents:
            address, doc = documents[value]
            return _statements(address, doc)
        if isinstance(value, str) and value.startswith("{"):
            result.unknown.append(f"{user}: inline JSON policy (use aws_iam_policy_document)")
            return []
        result.unknown.append(f"{user}: policy not traceable to a policy document: {value!r}")
        return None

    # A policy names its role by name or id (both the role's name in AWS;
    # the mock invents the id): statements are keyed by the role's name.
    role_names = {}
    for role in run.by_type("aws_iam_role"):
        values = role["values"]
        role_names[values["name"]] = values["name"]
        if values.get("id"):
            role_names[values["id"]] = values["name"]
        found = resolve(values["assume_role_policy"], role["address"])
        result.written[f"{role['address']} (trust)"] = (found or [], False)
        result.roles.setdefault(values["name"], [])
    for rp in run.by_type("aws_iam_role_policy"):
        found = resolve(rp["values"]["policy"], rp["address"]) or []
        role = role_names.get(rp["values"]["role"], rp["values"]["role"])
        result.roles.setdefault(role, []).extend(found)
        result.written[rp["address"]] = (found, True)
    for attachment in run.by_type("aws_iam_role_policy_attachment"):
        arn = attachment["values"]["policy_arn"]
        name = arn.rsplit("/", 1)[-1]
        if name not in MANAGED_POLICIES:
            result.unknown.append(f"{attachment['address']}: managed policy {arn} not known")
            continue
        role = role_names.get(attachment["values"]["role"], attachment["values"]["role"])
        result.roles.setdefault(role, []).extend(_managed(name, arn))
    for rtype, attribute in (
        ("aws_kms_key", "policy"),
        ("aws_s3_bucket_policy", "policy"),
        ("aws_vpc_endpoint", "policy"),
    ):
        for resource in run.by_type(rtype):
            value = resource["values"].get(attribute)
            if value is None:
                result.unknown.append(f"{resource['address']}: no {attribute}")
                continue
            found = resolve(value, resource["address"]) or []
            result.written[resource["address"]] = (found, False)
            if rtype == "aws_vpc_endpoint":
                # "com.amazonaws.<region>.secretsmanager" -> "secretsmanager"
                service = resource["values"]["service_name"].rsplit(".", 1)[-1]
                result.endpoints[service] = found
    return result


################################################################################
# Checks against the Service Authorization Reference
################################################################################

_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")


def reference_problems(
    statements: list[Statement], account: sar.Account, identity_based: bool
) -> list[str]:
    """Actions that do not exist, resources no resource type of the action can match,
    ``*`` where the action can be scoped (identity-based policies only)."""
    problems = []
    for st in statements:
        for action in st.actions:
            if not _ACTION.match(action):
                if st.effect == "Deny" or not identity_based:
                    continue  # a wildcard in a Deny or a key policy's admin statement
                problems.append(f"{st.source}: wildcard action {action}")
                continue
            if not sar.action_exists(action):
                problems.append(f"{st.source}: {action} is not an IAM action")
                continue
            for resource in st.resources:
                if resource == "*":
                    if identity_based and not sar.needs_star(action):
                        types = ", ".join(r.name for r in sar.resource_types(action))
                        problems.append(
                            f"{st.source}: {action} on * but it can be scoped ({types})"
                        )
                    continue
                if sar.needs_star(action):
                    problems.append(f"{st.source}: {action} has no resource types; use *")
                    continue
                if not sar.matching_types(action, resource, account):
                    patterns = "; ".join(f"{r.name}: {r.arn}" for r in sar.resource_types(action))
                    problems.append(
                        f"{st.source}: {action} on {resource} matches none of its"
                        f" resource types ({patterns})"
                    )
    return problems


################################################################################
# Evaluation of one request
################################################################################


@dataclass(frozen=True)
class Request:
    """An AWS request as IAM sees it: action, resource ARN and request context."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()

    def context_value(self, key: str) -> str | None:
        return dict(self.context).get(key)


def _glob(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    # IAM: * any run of characters (separators included), ? one character.
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.fullmatch(regex, value, flags) is not None


def _condition_holds(condition: Condition, request: Request) -> bool:
    value = request.context_value(condition.variable)
    test = condition.test
    if value is None:
        return test.endswith("IfExists")
    test = test.removesuffix("IfExists")
    if test in ("StringEquals", "ArnEquals"):
        return value in condition.values
    if test in ("StringLike", "ArnLike"):
        return any(_glob(v, value) for v in condition.values)
    if test == "StringNotEquals":
        return value not in condition.values
    if test == "Bool":
        return value.lower() in (v.lower() for v in condition.values)
    raise ValueError(f"condition operator {condition.test} is not modelled")


def _statement_matches(st: Statement, request: Request) -> bool:
    return (
        any(_glob(a, request.action, case_sensitive=False) for a in st.actions)
        and any(_glob(r, request.resource) for r in st.resources)
        and all(_condition_holds(c, request) for c in st.conditions)
    )


def allows(statements: list[Statement], request: Request) -> bool:
    """IAM's decision for one principal's identity-based statements."""
    if any(st.effect == "Deny" and _statement_matches(st, request) for st in statements):
        return False
    return any(st.effect == "Allow" and _statement_matches(st, request) for st in statements)


def unused_grants(
    statements: list[Statement], requests: list[Request]
) -> list[tuple[Statement, str, str]]:
    """(statement, action, resource) grants that no request uses."""
    unused = []
    for st in statements:
        if st.effect != "Allow":
            continue
        for action in st.actions:
            for resource in st.resources:
                used = any(
                    _glob(action, r.action, case_sensitive=False)
                    and _glob(resource, r.resource)
                    and all(_condition_holds(c, r) for c in st.conditions)
                    for r in requests
                )
                if not used:
                    unused.append((st, action, resource))
    return unused
