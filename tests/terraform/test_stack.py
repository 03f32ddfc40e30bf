"""What the issue and CONTRACT.md ask of the stack, checked on the parsed configuration."""

from __future__ import annotations

import pytest

from tests.terraform import contract

FUNCTIONS = sorted(contract.HANDLERS)


def test_contract_outputs_exist_and_optional_ones_use_try(tf_config):
    assert set(tf_config.outputs) >= contract.OUTPUTS, sorted(
        contract.OUTPUTS - set(tf_config.outputs)
    )
    assert tf_config.outputs["custom_domain_url"]["value"].startswith("${try(")
    assert tf_config.outputs["api_alias_name"]["value"] == "${aws_lambda_alias.live.name}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_package_runtime_and_network(tf_config, function):
    fn = tf_config.resource(f"aws_lambda_function.{function}")

    assert fn["filename"] == "${var.package_path}"
    assert fn["source_code_hash"] == "${local.package_hash}"
    assert fn["runtime"] == "${var.lambda_runtime}"
    assert fn["architectures"] == ["${var.lambda_architecture}"]
    assert fn["tracing_config"] == [{"mode": "Active"}]
    assert fn["kms_key_arn"] == "${aws_kms_key.this.arn}"
    assert fn["vpc_config"][0]["subnet_ids"] == "${aws_subnet.private[*].id}"
    assert fn["vpc_config"][0]["security_group_ids"] == ["${aws_security_group.lambda.id}"]
    assert "reserved_concurrent_executions" in fn
    assert (
        fn["logging_config"][0]["log_group"]
        == f'${{aws_cloudwatch_log_group.lambda["{function}"].name}}'
    )


def test_package_and_runtime_defaults(tf_config):
    assert tf_config.locals["package_hash"] == "${filebase64sha256(var.package_path)}"
    assert tf_config.variables["package_path"]["default"] == "../build/lambda.zip"
    assert tf_config.variables["lambda_runtime"]["default"] == "python3.12"
    assert tf_config.variables["lambda_architecture"]["default"] == "arm64"
    assert (
        tf_config.resource("aws_lambda_function.api")["reserved_concurrent_executions"]
        == "${var.api_reserved_concurrency}"
    )


def test_every_log_group_has_retention_and_kms(tf_config):
    for name, group in tf_config.resources["aws_cloudwatch_log_group"].items():
        assert group["retention_in_days"] == "${var.log_retention_days}", name
        assert group["kms_key_id"] == "${aws_kms_key.this.arn}", name


def test_api_proxies_everything_to_the_live_alias(tf_config):
    api = tf_config.resource("aws_api_gateway_rest_api.this")
    integrations = tf_config.resources["aws_api_gateway_integration"]
    methods = tf_config.resources["aws_api_gateway_method"]
    permission = tf_config.resource("aws_lambda_permission.api_gateway")
    alias = tf_config.resource("aws_lambda_alias.live")

    assert api["binary_media_types"] == ["*/*"]
    assert tf_config.resource("aws_api_gateway_resource.proxy")["path_part"] == "{proxy+}"
    assert {m["http_method"] for m in methods.values()} == {"ANY"}
    assert {m["resource_id"] for m in methods.values()} == {
        "${aws_api_gateway_resource.proxy.id}",
        "${aws_api_gateway_rest_api.this.root_resource_id}",
    }
    assert {(i["type"], i["uri"]) for i in integrations.values()} == {
        ("AWS_PROXY", "${aws_lambda_alias.live.invoke_arn}")
    }
    assert alias["name"] == "live"
    assert tf_config.resource("aws_lambda_function.api")["publish"] is True
    assert permission["qualifier"] == "${aws_lambda_alias.live.name}"
    assert permission["source_arn"].startswith("${aws_api_gateway_rest_api.this.execution_arn}/")


def test_stage_logs_json_and_throttles(tf_config):
    stage = tf_config.resource("aws_api_gateway_stage.this")
    settings = tf_config.resource("aws_api_gateway_method_settings.all")["settings"][0]
    triggers = tf_config.resource("aws_api_gateway_deployment.this")["triggers"]

    assert stage["xray_tracing_enabled"] is True
    assert (
        stage["access_log_settings"][0]["destination_arn"]
        == "${aws_cloudwatch_log_group.api_access.arn}"
    )
    assert stage["access_log_settings"][0]["format"].startswith("${jsonencode(")
    assert settings["metrics_enabled"] is True
    assert settings["throttling_rate_limit"] == "${var.api_throttling_rate_limit}"
    assert settings["throttling_burst_limit"] == "${var.api_throttling_burst_limit}"
    assert "redeployment" in triggers


def test_aurora_serverless_v2_settings(tf_config):
    cluster = tf_config.resource("aws_rds_cluster.this")
    instance = tf_config.resource("aws_rds_cluster_instance.this")
    params = {
        p["name"]: p["value"]
        for p in tf_config.resource("aws_rds_cluster_parameter_group.this")["parameter"]
    }
    scaling = cluster["serverlessv2_scaling_configuration"][0]

    assert cluster["engine"] == "aurora-mysql"
    assert tf_config.variables["db_engine_version"]["default"].startswith("8.0.mysql_aurora.3.")
    assert instance["instance_class"] == "db.serverless"
    assert scaling["min_capacity"] == "${var.db_min_capacity}"
    assert scaling["max_capacity"] == "${var.db_max_capacity}"
    assert tf_config.variables["db_min_capacity"]["default"] == 0  # scale to zero allowed
    assert cluster["manage_master_user_password"] is True
    assert "master_password" not in cluster
    assert cluster["master_user_secret_kms_key_id"] == "${aws_kms_key.this.arn}"
    assert cluster["storage_encrypted"] is True
    assert cluster["kms_key_id"] == "${aws_kms_key.this.arn}"
    assert cluster["iam_database_authentication_enabled"] is True
    assert cluster["deletion_protection"] == "${var.db_deletion_protection}"
    assert cluster["skip_final_snapshot"] == "${var.db_skip_final_snapshot}"
    assert cluster["backup_retention_period"] == "${var.db_backup_retention_days}"
    assert set(cluster["enabled_cloudwatch_logs_exports"]) >= {"error", "slowquery", "audit"}
    assert params["require_secure_transport"] == "ON"
    assert params["wait_timeout"] == "${tostring(var.db_idle_connection_timeout)}"


def test_app_secret_rotates_every_7_days_without_immediate_rotation(tf_config):
    secret = tf_config.resource("aws_secretsmanager_secret.app")
    rotation = tf_config.resource("aws_secretsmanager_secret_rotation.app")
    permission = tf_config.resource("aws_lambda_permission.rotate_from_secretsmanager")

    assert secret["kms_key_id"] == "${aws_kms_key.this.arn}"
    assert rotation["rotation_rules"] == [{"automatically_after_days": 7}]
    assert rotation["rotate_immediately"] is False
    assert rotation["rotation_lambda_arn"] == "${aws_lambda_function.rotate.arn}"
    assert permission["principal"] == "secretsmanager.amazonaws.com"
    assert permission["source_arn"] == "${aws_secretsmanager_secret.app.arn}"


def test_image_bucket_is_private_versioned_encrypted_tls_only(tf_config):
    pab = tf_config.resource("aws_s3_bucket_public_access_block.images")
    ownership = tf_config.resource("aws_s3_bucket_ownership_controls.images")["rule"][0]
    versioning = tf_config.resource("aws_s3_bucket_versioning.images")["versioning_configuration"][
        0
    ]
    sse = tf_config.resource("aws_s3_bucket_server_side_encryption_configuration.images")["rule"][0]
    lifecycle = tf_config.resource("aws_s3_bucket_lifecycle_configuration.images")["rule"][0]
    policy = tf_config.data_source("aws_iam_policy_document.images_bucket")["statement"]

    assert all(
        pab[k] is True
        for k in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
    )
    assert ownership["object_ownership"] == "BucketOwnerEnforced"
    assert versioning["status"] == "Enabled"
    assert sse["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    assert lifecycle["transition"] == [{"days": 30, "storage_class": "STANDARD_IA"}]
    assert "noncurrent_version_expiration" in lifecycle
    assert any(
        st["effect"] == "Deny" and st["condition"][0]["variable"] == "aws:SecureTransport"
        for st in policy
    )


def test_deploy_role_trusts_only_this_repository(tf_config):
    trust = tf_config.data_source("aws_iam_policy_document.deploy_assume")["statement"][0]
    conditions = {c["variable"]: c for c in trust["condition"]}
    subjects = tf_config.locals["github_subjects"]

    assert trust["actions"] == ["sts:AssumeRoleWithWebIdentity"]
    assert conditions["${local.github_oidc_host}:aud"]["values"] == ["sts.amazonaws.com"]
    assert conditions["${local.github_oidc_host}:sub"]["test"] == "StringEquals"  # no wildcards
    assert "repo:${var.github_repository}:environment:${var.github_environment}" in subjects
    assert "refs/heads/main" in subjects


def test_alarms_go_to_the_encrypted_topic(tf_config):
    alarms = tf_config.resources["aws_cloudwatch_metric_alarm"]
    metrics = {(a["namespace"], a["metric_name"]) for a in alarms.values()}

    assert (
        tf_config.resource("aws_sns_topic.alarms")["kms_master_key_id"] == "${aws_kms_key.this.arn}"
    )
    assert {a["alarm_actions"] for a in alarms.values()} == {"${local.alarm_actions}"}
    assert metrics >= {
        ("AWS/ApiGateway", "5XXError"),
        ("AWS/ApiGateway", "Latency"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/RDS", "ServerlessDatabaseCapacity"),
        ("AWS/RDS", "DatabaseConnections"),
    }
    assert alarms["api_latency_p99"]["extended_statistic"] == "p99"
    assert alarms["rotation_errors"]["dimensions"] == {
        "FunctionName": "${aws_lambda_function.rotate.function_name}"
    }
