################################################################################
# Lambda functions: one package, three entry points
#
# Terraform creates the functions from the package built by
# `python -m deploy package`. After that the release pipeline owns the code:
# it updates it, publishes versions, runs the migration job and moves the
# `live` aliases. Terraform therefore ignores later code and alias changes
# instead of rolling them back.
################################################################################

locals {
  package_hash = filebase64sha256(var.package_path)

  # Environment per function: exactly the names service/config.py declares in
  # API_ENV, MIGRATE_ENV and ROTATE_ENV (tests/terraform cross-checks them).
  # None of them is a secret: the functions get secret ARNs, never values.
  api_env = {
    DB_SECRET_ARN                = aws_secretsmanager_secret.app.arn
    DB_HOST                      = aws_rds_cluster.this.endpoint
    DB_PORT                      = tostring(local.db_port)
    DB_NAME                      = var.db_name
    DB_SECRET_EXTENSION_PORT     = var.secrets_extension_layer_arn == null ? "" : "2773" # the extension's default port
    IMAGES_BUCKET                = aws_s3_bucket.images.id
    LOG_LEVEL                    = var.log_level
    TRACING_ENABLED              = "true"
    IMAGE_URL_EXPIRES            = tostring(var.image_url_expires_seconds)
    DB_CONNECT_TIMEOUT           = "20" # seconds: a paused Aurora greets after ~15 s of resuming
    DB_READ_TIMEOUT              = "15" # seconds; inside the function's 25 s
    BCRYPT_ROUNDS                = tostring(var.bcrypt_rounds)
    AUTH_CACHE_SIZE              = "1024"
    AUTH_CACHE_TTL               = "300"
    POWERTOOLS_SERVICE_NAME      = "${var.name}-api"
    POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
  }

  migrate_env = {
    DB_ADMIN_SECRET_ARN     = local.master_secret_arn
    DB_SECRET_ARN           = aws_secretsmanager_secret.app.arn
    DB_HOST                 = aws_rds_cluster.this.endpoint
    DB_PORT                 = tostring(local.db_port)
    DB_NAME                 = var.db_name
    LOG_LEVEL               = var.log_level
    POWERTOOLS_SERVICE_NAME = "${var.name}-migrate"
  }

  rotate_env = {
    DB_ADMIN_SECRET_ARN     = local.master_secret_arn
    DB_HOST                 = aws_rds_cluster.this.endpoint
    DB_PORT                 = tostring(local.db_port)
    DB_NAME                 = var.db_name
    LOG_LEVEL               = var.log_level
    POWERTOOLS_SERVICE_NAME = "${var.name}-rotate"
  }

  # One entry per function. Timeouts: API Gateway gives up after 29 s, so the
  # API answers within 25 s; the migration job may wait 60 s for a resuming
  # database, 120 s for the migration lock, then migrate; the rotation waits
  # up to 60 s for the database in each of its four steps.
  functions = {
    api = {
      description = "Inventory API (Flask through apig-wsgi)"
      handler     = "service.lambda_handler.handler"
      memory_size = var.api_memory_size
      timeout     = 25
      reserved    = var.api_reserved_concurrency
      environment = local.api_env
    }
    migrate = {
      description = "One-off Alembic migration job (run by CI on every release)"
      handler     = "service.jobs.migrate.handler"
      memory_size = 512
      timeout     = 300
      reserved    = var.migrate_reserved_concurrency
      environment = local.migrate_env
    }
    rotate = {
      description = "Secrets Manager rotation of the application database user (alternating users)"
      handler     = "service.jobs.rotate.handler"
      memory_size = 256
      timeout     = 120
      reserved    = var.rotate_reserved_concurrency
      environment = local.rotate_env
    }
  }

  # Functions with a `live` alias that the release pipeline moves: API Gateway
  # invokes the API's, Secrets Manager the rotation's. The migration job is
  # invoked by the version number published in the same release.
  aliased_functions = toset(["api", "rotate"])
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Every invocation is synchronous (API Gateway, CI's RequestResponse migrate, Secrets Manager's rotation steps, which it retries itself); a DLQ applies only to asynchronous invocations
  #checkov:skip=CKV_AWS_272:Code signing is not used: the package is built reproducibly and deployed by our own CI through OIDC
  #checkov:skip=CKV_AWS_173:Environment variables hold no secret (names, endpoints, secret ARNs); the AWS managed key spares the deploy role KMS grants on every code update
  for_each = local.functions

  function_name = local.function_names[each.key]
  description   = each.value.description
  role          = aws_iam_role.lambda[each.key].arn
  handler       = each.value.handler
  runtime       = var.lambda_runtime
  architectures = [var.lambda_architecture]
  memory_size   = each.value.memory_size
  timeout       = each.value.timeout
  publish       = true # `live` needs a version; later versions come from the release pipeline

  filename         = var.package_path
  source_code_hash = local.package_hash

  # The API reads its database secret from AWS's Parameters and Secrets Lambda
  # Extension when the layer is given: no SDK client at cold start.
  layers = each.key == "api" && var.secrets_extension_layer_arn != null ? [var.secrets_extension_layer_arn] : []

  # -1 = no reservation (the function shares the account's unreserved pool).
  reserved_concurrent_executions = each.value.reserved

  environment {
    variables = each.value.environment
  }

  vpc_config {
    subnet_ids         = aws_subnet.private[*].id
    security_group_ids = [aws_security_group.lambda.id]
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text" # Powertools already writes JSON lines
    log_group  = aws_cloudwatch_log_group.lambda[each.key].name
  }

  # SnapStart snapshots published versions only (`live` points at versions).
  dynamic "snap_start" {
    for_each = each.key == "api" && var.api_snap_start ? [1] : []

    content {
      apply_on = "PublishedVersions"
    }
  }

  lifecycle {
    ignore_changes = [filename, source_code_hash]
  }

  depends_on = [aws_iam_role_policy.base]
}

resource "aws_lambda_alias" "live" {
  for_each = local.aliased_functions

  name             = "live"
  description      = "Moved by the release pipeline (promote / rollback)"
  function_name    = aws_lambda_function.this[each.key].function_name
  function_version = aws_lambda_function.this[each.key].version

  lifecycle {
    # The release pipeline owns the alias: promote moves it and records the
    # previous version in its description for rollback.
    ignore_changes = [function_version, description]
  }
}

# Optional warm containers for the API (not together with SnapStart).
resource "aws_lambda_provisioned_concurrency_config" "api" {
  count = var.api_provisioned_concurrency > 0 ? 1 : 0

  function_name                     = aws_lambda_function.this["api"].function_name
  qualifier                         = aws_lambda_alias.live["api"].name
  provisioned_concurrent_executions = var.api_provisioned_concurrency
}

resource "aws_cloudwatch_log_group" "lambda" {
  for_each = local.function_names

  name              = "/aws/lambda/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
}

################################################################################
# Addresses before the functions, roles and alarms became for_each maps:
# existing stacks move their state instead of replacing the resources.
################################################################################

moved {
  from = aws_lambda_function.api
  to   = aws_lambda_function.this["api"]
}

moved {
  from = aws_lambda_function.migrate
  to   = aws_lambda_function.this["migrate"]
}

moved {
  from = aws_lambda_function.rotate
  to   = aws_lambda_function.this["rotate"]
}

moved {
  from = aws_lambda_alias.live
  to   = aws_lambda_alias.live["api"]
}
