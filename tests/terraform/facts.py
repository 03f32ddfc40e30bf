"""What the code fixes for terraform/, as data for the cross-checks.

The environment variables come from the code itself (service/config.py); the
AWS calls and the permissions they need are in calls.py.
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

# AWS services the functions call from inside the VPC (found by codescan): each
# needs a VPC endpoint (there is no NAT gateway) or a reason here.
NO_ENDPOINT_NEEDED: dict[str, str] = {}

# Outputs the release pipeline and the GitHub environments use.
OUTPUTS = {
    "api_url",
    "api_base_url",
    "rotate_alias_arn",
    "github_oidc_provider_arn",
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
