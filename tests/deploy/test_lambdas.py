"""Waiting for Lambda's asynchronous states, with botocore's Stubber: calls in the exact
order the real API needs them (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html)."""

from __future__ import annotations

import base64
import io
import json

import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from deploy import aws, lambdas, release
from deploy.errors import DeployError
from deploy.release import Functions, Target


@pytest.fixture
def client(aws_env, instant_waits):
    made = aws.client("lambda", "eu-west-1")
    with Stubber(made) as stubber:
        made.stubber = stubber
        yield made
        stubber.assert_no_pending_responses()


def _version_state(client, function, version, state, reason=None):
    config = {"FunctionName": function, "Version": version, "State": state}
    if reason:
        config["StateReason"] = reason
    client.stubber.add_response(
        "get_function_configuration", config, {"FunctionName": function, "Qualifier": version}
    )


def _function_state(client, function, state="Active", update="Successful", reason=None):
    config = {"FunctionName": function, "State": state, "LastUpdateStatus": update}
    if reason:
        config["LastUpdateStatusReason"] = reason
    client.stubber.add_response(
        "get_function", {"Configuration": config}, {"FunctionName": function}
    )


def _invoke(client, function, version, payload, log="log line\n"):
    data = json.dumps(payload).encode()
    client.stubber.add_response(
        "invoke",
        {
            "StatusCode": 200,
            "Payload": StreamingBody(io.BytesIO(data), len(data)),
            "LogResult": base64.b64encode(log.encode()).decode(),
        },
        {
            "FunctionName": function,
            "Qualifier": version,
            "InvocationType": "RequestResponse",
            "LogType": "Tail",
            "Payload": ANY,
        },
    )


def test_migrate_waits_for_the_version_to_be_active_before_invoking(client):
    _version_state(client, "migrate", "7", "Pending")
    _version_state(client, "migrate", "7", "Active")
    _invoke(client, "migrate", "7", {"ok": True})
    assert release.migrate(client, Target("migrate", "7"), {"action": "current"}) == {"ok": True}


def test_promote_waits_for_both_versions_before_the_health_check(client):
    _version_state(client, "api", "7", "Pending")
    _version_state(client, "api", "7", "Active")
    _version_state(client, "rotate", "7", "Active")
    _invoke(client, "api", "7", {"statusCode": 503, "body": "down"})
    with pytest.raises(DeployError, match="answered GET /healthz with 503: down"):
        release.promote(client, Target("api", "7"), Target("rotate", "7"))


def test_a_version_that_fails_to_activate_is_reported(client):
    _version_state(client, "migrate", "7", "Failed", "Lambda was unable to configure your VPC")
    with pytest.raises(DeployError) as error:
        release.migrate(client, Target("migrate", "7"), {"action": "current"})
    assert str(error.value) == (
        "Version 7 of function migrate failed (Failed): Lambda was unable to configure your VPC"
    )


def test_publish_waits_out_an_update_in_progress_and_retries(client):
    conflict = "The operation cannot be performed at this time. An update is in progress"
    # The API function is being updated (e.g. by terraform apply): the first upload collides
    client.stubber.add_client_error(
        "update_function_code", "ResourceConflictException", conflict, 409
    )
    _function_state(client, "api")
    _function_state(client, "api", update="InProgress")
    _function_state(client, "api", update="Successful")
    for name in ("api", "migrate", "rotate"):
        client.stubber.add_response(
            "update_function_code",
            {"CodeSha256": f"sha-{name}"},
            {"FunctionName": name, "S3Bucket": "artifacts", "S3Key": "lambda.zip"},
        )
    for name in ("api", "migrate", "rotate"):
        _function_state(client, name)
        _function_state(client, name, update="InProgress")
        _function_state(client, name)
        client.stubber.add_response(
            "publish_version",
            {"Version": "8"},
            {"FunctionName": name, "CodeSha256": f"sha-{name}", "Description": "abc"},
        )
    result = release.publish(
        client,
        Functions("api", "migrate", "rotate"),
        {"S3Bucket": "artifacts", "S3Key": "lambda.zip"},
        "abc",
    )
    assert {role: r["version"] for role, r in result.items()} == {
        "api": "8",
        "migrate": "8",
        "rotate": "8",
    }


def test_a_failed_code_update_is_reported_with_its_reason(client):
    for _ in range(2):  # function_active_v2, then function_updated_v2
        _function_state(client, "api", update="Failed", reason="The unzipped size is too large")
    with pytest.raises(DeployError) as error:
        lambdas.wait_updated(client, "api")
    assert str(error.value) == (
        "the last update of function api failed (Failed): The unzipped size is too large"
    )


def test_waiting_too_long_is_reported(client):
    # function_active_v2 passes at once; function_updated_v2 sees InProgress 3 times
    # (instant_waits allows 3 attempts)
    for _ in range(4):
        _function_state(client, "api", update="InProgress")
    with pytest.raises(DeployError, match=r"^the last update of function api is still InProgress"):
        lambdas.wait_updated(client, "api")
