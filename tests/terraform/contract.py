"""What CONTRACT.md fixes for terraform/, as data for the cross-checks.

The environment variables come from the code itself (service/config.py).
"""

from __future__ import annotations

from service.config import API_ENV, LOCAL_ENV, MIGRATE_ENV, ROTATE_ENV

# function key (local.function_names / resource name) -> Lambda handler
HANDLERS = {
    "api": "service.lambda_handler.handler",
    "migrate": "service.jobs.migrate.handler",
    "rotate": "service.jobs.rotate.handler",
}

# The environment each function reads is declared in service/config.py.
ENV = {"api": API_ENV, "migrate": MIGRATE_ENV, "rotate": ROTATE_ENV}

# Never set on Lambda: local runs and tests only (service/config.py says which).
LOCAL_ONLY_ENV = LOCAL_ENV

# Set by the Lambda runtime itself; the code may read them without Terraform.
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
LAMBDA_RUNTIME_ENV = frozenset(
    {
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_SESSION_TOKEN",  # the execution role's credentials (the secrets extension's token)
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "TZ",
        "AWS_XRAY_CONTEXT_MISSING",
        "AWS_XRAY_DAEMON_ADDRESS",
    }
)

# IAM actions the code needs (CONTRACT.md "AWS calls the code makes"), by role.
ACTIONS = {
    "api": {
        "secretsmanager:GetSecretValue",
        "kms:Decrypt",
        "s3:PutObject",
        "s3:GetObject",
        "s3:DeleteObject",
    },
    "migrate": {
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
        "secretsmanager:PutSecretValue",
        "secretsmanager:GetRandomPassword",
        "kms:Decrypt",
        "kms:GenerateDataKey",
    },
    "rotate": {
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecretVersionStage",
        "secretsmanager:GetRandomPassword",
        "kms:Decrypt",
        "kms:GenerateDataKey",
    },
    "deploy": {
        "lambda:UpdateFunctionCode",
        "lambda:GetFunction",
        "lambda:GetFunctionConfiguration",
        "lambda:PublishVersion",
        "lambda:GetAlias",
        "lambda:UpdateAlias",
        "lambda:InvokeFunction",
    },
}

# What a function role needs besides the code's own calls: its log group, X-Ray
# segments (tracing Active) and the network interfaces of a function in a VPC.
PLATFORM_ACTIONS = {
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}

# Granted beyond the contract, each with its reason.
EXTRA_ACTIONS = {
    (
        "api",
        "kms:GenerateDataKey",
    ): "S3 SSE-KMS uploads (PutObject) need a data key of the bucket's key",
    ("deploy", "s3:GetObject"): "optional: read the Terraform state object for `terraform output`",
}

# Actions that have no resource-level permissions: Resource "*" is the only option.
STAR_RESOURCE_ACTIONS = {
    "secretsmanager:GetRandomPassword",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
}

# AWS services the code calls from inside the VPC: each needs a VPC endpoint
# (there is no NAT gateway) or a reason in NO_ENDPOINT_NEEDED.
SERVICES = {"s3", "secretsmanager"}
NO_ENDPOINT_NEEDED: dict[str, str] = {}

OUTPUTS = {
    "api_url",
    "custom_domain_url",
    "api_function_name",
    "migrate_function_name",
    "rotate_function_name",
    "api_alias_name",
    "images_bucket_name",
    "app_secret_arn",
    "master_secret_arn",
    "deploy_role_arn",
}
