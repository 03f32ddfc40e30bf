"""What each AWS call of the code acts on, and what else a role must be able to do.

``test_iam.py`` finds the calls itself (``codescan.aws_calls`` over service/
and deploy/: client, operation, file). This table adds the one thing code
scanning cannot know: which resource each call acts on, expressed through
what the rendered stack gives the code (an environment variable of the
calling function, a Terraform output the release pipeline is given, the
secret whose rotation invokes the function). A call missing here, or an entry
no call matches, fails the test: the table cannot drift from the code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Env:
    """A resource named by an environment variable of the calling function.

    A function without that variable cannot make the call (e.g. only the API
    sets IMAGES_BUCKET, so only the API's role needs S3). ``arn`` formats the
    value into the ARN the call acts on (``{value}``, ``{partition}``).
    """

    name: str
    arn: str = "{value}"


@dataclass(frozen=True)
class RotatedSecret:
    """The secret whose rotation invokes the function (Secrets Manager's SecretId)."""


@dataclass(frozen=True)
class Star:
    """An action that acts on no resource: IAM matches it against "*"."""


@dataclass(frozen=True)
class Function:
    """A Lambda function of the stack (the release pipeline gets the names as outputs),
    optionally qualified with a version number as the release file records it."""

    key: str
    qualifier: str | None = None


@dataclass(frozen=True)
class LogGroup:
    """The CloudWatch Logs group of a function, as CloudWatch Logs authorizes it."""

    key: str


Source = Env | RotatedSecret | Star | Function | LogGroup

# An object key the API writes (any key of the bucket is equivalent for IAM).
OBJECT = "arn:{partition}:s3:::{value}/products/7/images/3f2a.png"
SAMPLE_VERSION = "7"

ALL_FUNCTIONS: list[Source] = [Function("api"), Function("migrate"), Function("rotate")]
ALL_VERSIONS: list[Source] = [Function(key, SAMPLE_VERSION) for key in ("api", "migrate", "rotate")]
ALIASED_FUNCTIONS: list[Source] = [Function("api"), Function("rotate")]

# (file, botocore operation) -> what the call acts on. One entry covers every
# call of that operation in the file.
CALLS: dict[tuple[str, str], list[Source]] = {
    # The API reads its database secret; the migration job reads the master
    # secret through the same cache (create_app(DB_SECRET_ARN=<admin secret>)).
    ("service/secrets.py", "GetSecretValue"): [Env("DB_SECRET_ARN"), Env("DB_ADMIN_SECRET_ARN")],
    ("service/storage.py", "PutObject"): [Env("IMAGES_BUCKET", OBJECT)],
    ("service/storage.py", "DeleteObject"): [Env("IMAGES_BUCKET", OBJECT)],
    # Presigned URLs carry the signing role's permissions.
    ("service/storage.py", "GetObject"): [Env("IMAGES_BUCKET", OBJECT)],
    ("service/jobs/migrate.py", "PutSecretValue"): [Env("DB_SECRET_ARN")],
    # The app secret's helpers, shared by the migration job (app secret and master
    # secret by environment variable) and the rotation function (the rotated secret).
    ("service/jobs/appsecret.py", "GetSecretValue"): [
        Env("DB_SECRET_ARN"),
        Env("DB_ADMIN_SECRET_ARN"),
        RotatedSecret(),
    ],
    ("service/jobs/appsecret.py", "GetRandomPassword"): [Star()],
    # Only the migration job releases a stale AWSPENDING (release_stale_pending).
    ("service/jobs/appsecret.py", "ListSecretVersionIds"): [Env("DB_SECRET_ARN")],
    ("service/jobs/appsecret.py", "UpdateSecretVersionStage"): [Env("DB_SECRET_ARN")],
    ("service/jobs/rotate.py", "GetSecretValue"): [RotatedSecret(), Env("DB_ADMIN_SECRET_ARN")],
    ("service/jobs/rotate.py", "PutSecretValue"): [RotatedSecret()],
    ("service/jobs/rotate.py", "DescribeSecret"): [RotatedSecret()],
    ("service/jobs/rotate.py", "UpdateSecretVersionStage"): [RotatedSecret()],
    # Release steps and operations commands (python -m deploy; deploy/README.md lists them).
    ("deploy/release.py", "GetFunctionConfiguration"): ALL_FUNCTIONS,  # runtime, architecture
    ("deploy/release.py", "UpdateFunctionCode"): ALL_FUNCTIONS,
    ("deploy/release.py", "PublishVersion"): ALL_FUNCTIONS,
    # promote and rollback move `live` on the API and the rotation function together.
    ("deploy/release.py", "GetAlias"): ALIASED_FUNCTIONS,
    ("deploy/release.py", "UpdateAlias"): ALIASED_FUNCTIONS,
    ("deploy/lambdas.py", "GetFunction"): ALL_FUNCTIONS,  # function_active/updated waiters
    # published_version_active waiter: a new version is Active before it is used.
    ("deploy/lambdas.py", "GetFunctionConfiguration"): ALL_VERSIONS,
    # migrate; promote's /healthz on the new API version; `invoke` (never the rotation).
    ("deploy/lambdas.py", "Invoke"): [
        Function("migrate", SAMPLE_VERSION),
        Function("api", SAMPLE_VERSION),
    ],
    # `invoke migrate` without --qualifier: the migration job's newest version.
    ("deploy/lambdas.py", "ListVersionsByFunction"): [Function("migrate")],
    ("deploy/status.py", "GetFunctionConfiguration"): ALL_FUNCTIONS + ALL_VERSIONS,
    ("deploy/status.py", "GetAlias"): ALIASED_FUNCTIONS,
    ("deploy/logs.py", "FilterLogEvents"): [
        LogGroup("api"),
        LogGroup("migrate"),
        LogGroup("rotate"),
    ],
}

# Which code runs under which role: the handler module of each function (its
# imports decide which files it can reach) and the release pipeline's package.
ENTRY_MODULES = {
    "api": "service.lambda_handler",
    "migrate": "service.jobs.migrate",
    "rotate": "service.jobs.rotate",
}
DEPLOY_DIRECTORY = "deploy"
SCANNED_DIRECTORIES = ["service", "deploy"]

# Granted to the deploy role ahead of the code that calls it: (action, source, why).
# Remove an entry when its call appears in deploy/ (the call then needs a CALLS row).
DEPLOY_PENDING: list[tuple[str, Source, str]] = []

# What the Lambda service does with every execution role (not the code): each
# (action, resource) with the page that documents it. "{log_group}" is the
# function's log group ARN.
LAMBDA_PLATFORM: list[tuple[str, str, str]] = [
    (
        "logs:CreateLogStream",
        "{log_group}:log-stream:2026/12/02/[$LATEST]0123456789abcdef",
        "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html",
    ),
    (
        "logs:PutLogEvents",
        "{log_group}:log-stream:2026/12/02/[$LATEST]0123456789abcdef",
        "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html",
    ),
    (
        "xray:PutTraceSegments",
        "*",
        "https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html",
    ),
    (
        "xray:PutTelemetryRecords",
        "*",
        "https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html",
    ),
] + [
    (
        action,
        "*",
        "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/"
        "AWSLambdaVPCAccessExecutionRole.html (Lambda manages the function's ENIs)",
    )
    for action in (
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    )
]

# KMS calls AWS services make with the caller's permissions when the data is
# encrypted with a customer managed key: (service, operation) -> KMS action.
# https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
KMS_ON_BEHALF = {
    ("secretsmanager", "GetSecretValue"): "kms:Decrypt",
    ("secretsmanager", "PutSecretValue"): "kms:GenerateDataKey",
    ("s3", "PutObject"): "kms:GenerateDataKey",
    ("s3", "GetObject"): "kms:Decrypt",
}
