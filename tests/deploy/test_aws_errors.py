"""Every AWS failure is one `error: ...` line naming the function, the IAM action or the
setting to fix, and exit code 1: never a botocore traceback.

Missing resources come from moto; what moto cannot produce (AccessDenied, throttling,
rejected tokens, conflicts) from botocore's Stubber on a client made by deploy/aws.py;
no region, no credentials and an unreachable endpoint from a real `python -m deploy`
process with a controlled environment.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from botocore.stub import Stubber

from deploy import aws, aws_commands
from deploy.cli import main
from tests.support.deploy_build import REPO
from tests.support.deploy_lambda import NAMES

DENIED = (
    "User: arn:aws:sts::123456789012:assumed-role/inventory-prod-github-deploy/github-deploy "
    "is not authorized to perform: lambda:GetAlias on resource: "
    "arn:aws:lambda:eu-west-1:123456789012:function:inventory-api because no "
    "identity-based policy allows the lambda:GetAlias action"
)


def _only_error_line(capsys) -> str:
    """The one `error:` line, last on stderr (progress lines may come before it)."""
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert [line for line in lines if line.startswith("error:")] == lines[-1:], captured.err
    return lines[-1]


# ---------------------------------------------------------------------------
# Missing function, alias, version (moto)
# ---------------------------------------------------------------------------


def test_missing_function_names_the_variable(stack, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("API_FUNCTION_NAME", "inventory-apl")  # a typo
    package = tmp_path / "lambda.zip"
    package.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip
    assert main(["publish", "--zip", str(package)]) == 1
    assert _only_error_line(capsys) == (
        "error: function inventory-apl does not exist in eu-west-1 "
        "(lambda:GetFunctionConfiguration): check API_FUNCTION_NAME or --api-function "
        "and AWS_REGION"
    )


def test_missing_alias_says_who_creates_it(stack, capsys):
    stack.client.delete_alias(FunctionName=NAMES["API_FUNCTION_NAME"], Name="live")
    assert main(["rollback"]) == 1
    assert _only_error_line(capsys) == (
        "error: alias live of function inventory-api does not exist in eu-west-1 "
        "(lambda:GetAlias): Terraform creates it (terraform/lambda.tf); check "
        "API_FUNCTION_NAME or --api-function and AWS_REGION"
    )


def test_missing_version(stack, capsys):
    assert main(["migrate", "--version", "99"]) == 1
    assert _only_error_line(capsys) == (
        "error: version 99 of function inventory-migrate does not exist in eu-west-1 "
        "(lambda:GetFunctionConfiguration): check --version or the release file publish wrote"
    )


def test_missing_function_name_setting(stack, capsys, monkeypatch):
    monkeypatch.delenv("ROTATE_FUNCTION_NAME")
    assert main(["rollback"]) == 1
    assert _only_error_line(capsys) == ("error: set ROTATE_FUNCTION_NAME or pass --rotate-function")


# ---------------------------------------------------------------------------
# What moto cannot do: a Stubber on a real client made by deploy/aws.py
# ---------------------------------------------------------------------------


@pytest.fixture
def stubbed(aws_env, monkeypatch):
    """The commands' Lambda client, stubbed; the function names set as in CI."""
    for variable, name in NAMES.items():
        monkeypatch.setenv(variable, name)
    aws.forget_calls()
    client = aws.client("lambda", "eu-west-1")
    monkeypatch.setattr(aws_commands, "_client", lambda args, read_timeout=60: client)
    with Stubber(client) as stubber:
        yield stubber


def _error(stubbed, method, code, message, status=400, **metadata):
    stubbed.add_client_error(
        method,
        service_error_code=code,
        service_message=message,
        http_status_code=status,
        response_meta=metadata or None,
    )


def test_access_denied_names_the_action_and_the_role_to_grant(stubbed, capsys):
    _error(stubbed, "get_alias", "AccessDeniedException", DENIED, 403)
    assert main(["rollback"]) == 1
    assert _only_error_line(capsys) == (
        "error: access denied: lambda:GetAlias on alias live of function inventory-api "
        "(API_FUNCTION_NAME or --api-function) is not allowed for these credentials; grant "
        f"it to the role (the deploy role: terraform/github.tf). AWS: {DENIED}"
    )


def test_invoke_maps_to_the_invokefunction_action(stubbed, capsys):
    _error(stubbed, "get_function_configuration", "AccessDeniedException", "denied", 403)
    assert main(["invoke", "api"]) == 1
    assert "lambda:GetFunctionConfiguration on version live of" in _only_error_line(capsys)
    assert aws.iam_action("lambda", "Invoke") == "lambda:InvokeFunction"
    assert aws.iam_action("logs", "FilterLogEvents") == "logs:FilterLogEvents"


def test_throttling_after_retries(stubbed, capsys):
    _error(
        stubbed,
        "update_function_code",
        "TooManyRequestsException",
        "Rate exceeded",
        429,
        RetryAttempts=2,
    )
    assert main(["publish", "--s3-bucket", "artifacts", "--s3-key", "lambda.zip"]) == 1
    assert _only_error_line(capsys) == (
        "error: AWS throttled lambda:UpdateFunctionCode on function inventory-api "
        "(API_FUNCTION_NAME or --api-function) (TooManyRequestsException, 3 attempt(s)): "
        "run it again in a minute, or allow more attempts with AWS_MAX_ATTEMPTS"
    )


def test_expired_credentials(stubbed, capsys):
    _error(stubbed, "get_alias", "ExpiredTokenException", "The security token expired", 403)
    assert main(["rollback"]) == 1
    assert _only_error_line(capsys) == (
        "error: AWS rejected the credentials (ExpiredTokenException) for lambda:GetAlias: "
        "renew them (in CI the configure-aws-credentials step; locally AWS_PROFILE or "
        "aws sso login)"
    )


def test_lasting_conflict_is_retried_then_reported(stubbed, capsys, instant_waits):
    updated = {"Configuration": {"State": "Active", "LastUpdateStatus": "Successful"}}
    message = "An update is in progress for resource: inventory-api"
    for attempt in range(5):
        _error(stubbed, "update_function_code", "ResourceConflictException", message, 409)
        if attempt < 4:  # between attempts: wait until Active and updated
            stubbed.add_response("get_function", updated)
            stubbed.add_response("get_function", updated)
    assert main(["publish", "--s3-bucket", "artifacts", "--s3-key", "lambda.zip"]) == 1
    assert _only_error_line(capsys) == (
        "error: function inventory-api (API_FUNCTION_NAME or --api-function) is busy with "
        f"another change (lambda:UpdateFunctionCode): run it again. AWS: {message}"
    )
    stubbed.assert_no_pending_responses()


def test_client_retries_in_standard_mode():
    client = aws.client("lambda", "eu-west-1")
    assert client.meta.config.retries["mode"] == "standard"
    assert client.meta.config.connect_timeout == 10


# ---------------------------------------------------------------------------
# No region, no credentials, no network: a real process
# ---------------------------------------------------------------------------


def _run(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    empty = tmp_path / "empty-aws-config"
    empty.write_text("")
    base = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(empty),
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_EC2_METADATA_DISABLED": "true",  # no instance metadata lookups
        **NAMES,
    }
    return subprocess.run(
        [sys.executable, "-m", "deploy", *args],
        cwd=REPO,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _single_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_no_region(tmp_path):
    result = _run(tmp_path, "status", AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y")
    assert _single_line(result) == "error: no AWS region: set AWS_REGION (or pass --region)"


def test_no_credentials(tmp_path):
    result = _run(tmp_path, "status", AWS_REGION="eu-west-1")
    assert _single_line(result) == (
        "error: no AWS credentials for lambda:GetFunctionConfiguration: set AWS_PROFILE (or "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); in CI the configure-aws-credentials "
        "step provides them"
    )


def test_unreachable_endpoint(tmp_path):
    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    result = _run(
        tmp_path,
        "status",
        AWS_REGION="eu-west-1",
        AWS_ACCESS_KEY_ID="x",
        AWS_SECRET_ACCESS_KEY="y",
        AWS_ENDPOINT_URL=endpoint,
        AWS_MAX_ATTEMPTS="1",
    )
    assert _single_line(result) == (
        "error: cannot reach AWS for lambda:GetFunctionConfiguration on function inventory-api "
        "(API_FUNCTION_NAME or --api-function): Could not connect to the endpoint URL: "
        f'"{endpoint}/2015-03-31/functions/inventory-api/configuration"; check the network, '
        "AWS_REGION and AWS_ENDPOINT_URL"
    )
