################################################################################
# Lambda functions: one package, three entry points (CONTRACT.md)
#
# Terraform creates the functions from the package built by
# `python -m deploy package` (or a placeholder zip on the very first apply).
# After that the release pipeline owns the code: it updates it, runs the
# migration job, publishes a version and moves the `live` alias. Terraform
# therefore ignores later code and alias changes instead of rolling them back.
################################################################################

locals {
  package_hash = filebase64sha256(var.package_path)

  # Environment per function: exactly the names of CONTRACT.md (tests/terraform
  # checks them against service/config.py API_ENV, MIGRATE_ENV, ROTATE_ENV).
  api_env = {
    DB_SECRET_ARN                = aws_secretsmanager_secret.app.arn
    DB_HOST                      = aws_rds_cluster.this.endpoint
    DB_PORT                      = tostring(local.db_port)
    DB_NAME                      = var.db_name
    DB_SECRET_EXTENSION_PORT     = "" # "2773" with the Parameters and Secrets extension layer
    IMAGES_BUCKET                = aws_s3_bucket.images.id
    LOG_LEVEL                    = var.log_level
    TRACING_ENABLED              = "true"
    IMAGE_URL_EXPIRES            = tostring(var.image_url_expires_seconds)
    DB_CONNECT_TIMEOUT           = "20" # seconds: a paused Aurora greets after ~15 s of resuming
    DB_READ_TIMEOUT              = "15" # seconds; well inside API Gateway's 29 s
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
}

resource "aws_lambda_function" "api" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway; a DLQ applies only to asynchronous invocations
  #checkov:skip=CKV_AWS_272:Code signing is not used: the package is built and deployed by our own CI through OIDC
  function_name = local.function_names.api
  description   = "Inventory API (Flask through apig-wsgi)"
  role          = aws_iam_role.api.arn
  handler       = "service.lambda_handler.handler"
  runtime       = var.lambda_runtime
  architectures = [var.lambda_architecture]
  memory_size   = var.api_memory_size
  timeout       = 29 # API Gateway's integration timeout
  publish       = true

  filename         = var.package_path
  source_code_hash = local.package_hash

  # Caps concurrent containers, hence database connections (one per container).
  reserved_concurrent_executions = var.api_reserved_concurrency
  kms_key_arn                    = aws_kms_key.this.arn

  environment {
    variables = local.api_env
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
    log_group  = aws_cloudwatch_log_group.lambda["api"].name
  }

  tags = local.tags

  lifecycle {
    ignore_changes = [filename, source_code_hash]
  }

  depends_on = [aws_iam_role_policy.api_base]
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  description      = "Serves the API; moved by the release pipeline"
  function_name    = aws_lambda_function.api.function_name
  function_version = aws_lambda_function.api.version

  lifecycle {
    # The release pipeline owns the alias: promote moves it and records the
    # previous version in its description for rollback.
    ignore_changes = [function_version, description]
  }
}

resource "aws_lambda_function" "migrate" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously by CI (RequestResponse), which checks the result; a DLQ applies only to asynchronous invocations
  #checkov:skip=CKV_AWS_272:Code signing is not used: the package is built and deployed by our own CI through OIDC
  function_name = local.function_names.migrate
  description   = "One-off Alembic migration job (run by CI on every deploy)"
  role          = aws_iam_role.migrate.arn
  handler       = "service.jobs.migrate.handler"
  runtime       = var.lambda_runtime
  architectures = [var.lambda_architecture]
  memory_size   = 512
  timeout       = 300

  filename         = var.package_path
  source_code_hash = local.package_hash

  # One migration at a time (the job also takes a database lock).
  reserved_concurrent_executions = 1
  kms_key_arn                    = aws_kms_key.this.arn

  environment {
    variables = local.migrate_env
  }

  vpc_config {
    subnet_ids         = aws_subnet.private[*].id
    security_group_ids = [aws_security_group.lambda.id]
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.lambda["migrate"].name
  }

  tags = local.tags

  lifecycle {
    ignore_changes = [filename, source_code_hash]
  }

  depends_on = [aws_iam_role_policy.migrate_base]
}

resource "aws_lambda_function" "rotate" {
  #checkov:skip=CKV_AWS_116:Secrets Manager invokes rotation synchronously and retries failed steps itself; failures raise the rotation alarm
  #checkov:skip=CKV_AWS_272:Code signing is not used: the package is built and deployed by our own CI through OIDC
  function_name = local.function_names.rotate
  description   = "Secrets Manager rotation of the application database user (alternating users)"
  role          = aws_iam_role.rotate.arn
  handler       = "service.jobs.rotate.handler"
  runtime       = var.lambda_runtime
  architectures = [var.lambda_architecture]
  memory_size   = 256
  timeout       = 60

  filename         = var.package_path
  source_code_hash = local.package_hash

  reserved_concurrent_executions = 1
  kms_key_arn                    = aws_kms_key.this.arn

  environment {
    variables = local.rotate_env
  }

  vpc_config {
    subnet_ids         = aws_subnet.private[*].id
    security_group_ids = [aws_security_group.lambda.id]
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.lambda["rotate"].name
  }

  tags = local.tags

  lifecycle {
    ignore_changes = [filename, source_code_hash]
  }

  depends_on = [aws_iam_role_policy.rotate_base]
}

resource "aws_cloudwatch_log_group" "lambda" {
  for_each = local.function_names

  name              = "/aws/lambda/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn

  tags = local.tags
}
