################################################################################
# API Gateway REST API: everything proxied to the `live` alias
################################################################################

resource "aws_api_gateway_rest_api" "this" {
  name        = local.name
  description = "Inventory API (${var.environment})"

  # apig-wsgi needs binary bodies base64-encoded both ways: with "*/*" image
  # uploads arrive intact and images/other bytes go back out unchanged.
  binary_media_types = ["*/*"]

  # With a custom domain, clients should not bypass it (and its TLS policy).
  disable_execute_api_endpoint = var.domain_name != null && var.disable_execute_api_endpoint

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "proxy" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "{proxy+}"
}

resource "aws_api_gateway_method" "proxy" {
  #checkov:skip=CKV_AWS_59:Authentication is done by the application (HTTP Basic per route; several routes are public by design)
  #checkov:skip=CKV2_AWS_53:Request validation is done by the application (RFC 9457 errors naming each field)
  rest_api_id   = aws_api_gateway_rest_api.this.id
  resource_id   = aws_api_gateway_resource.proxy.id
  http_method   = "ANY"
  authorization = "NONE"
}

resource "aws_api_gateway_method" "root" {
  #checkov:skip=CKV_AWS_59:Authentication is done by the application (HTTP Basic per route; several routes are public by design)
  #checkov:skip=CKV2_AWS_53:Request validation is done by the application (RFC 9457 errors naming each field)
  rest_api_id   = aws_api_gateway_rest_api.this.id
  resource_id   = aws_api_gateway_rest_api.this.root_resource_id
  http_method   = "ANY"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "proxy" {
  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.proxy.id
  http_method             = aws_api_gateway_method.proxy.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_alias.live["api"].invoke_arn # qualified: always the live alias
  timeout_milliseconds    = local.api_integration_timeout_ms
}

resource "aws_api_gateway_integration" "root" {
  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_rest_api.this.root_resource_id
  http_method             = aws_api_gateway_method.root.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_alias.live["api"].invoke_arn
  timeout_milliseconds    = local.api_integration_timeout_ms
}

locals {
  # API Gateway's REST integration timeout is 29 s; the API function's own
  # timeout (25 s, lambda.tf) is below it, so the function always answers first.
  api_integration_timeout_ms = 29000
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "Managed by Terraform"

  # A new deployment whenever what a deployment snapshots changes: the
  # resources, methods, integrations and gateway responses. The REST API's
  # own settings take effect only with a new deployment too.
  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_rest_api.this.binary_media_types,
      aws_api_gateway_rest_api.this.disable_execute_api_endpoint,
      aws_api_gateway_resource.proxy,
      aws_api_gateway_method.proxy,
      aws_api_gateway_method.root,
      aws_api_gateway_integration.proxy,
      aws_api_gateway_integration.root,
      aws_api_gateway_gateway_response.retryable,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:Responses are per user and authenticated; API Gateway caching would serve stale or foreign data
  #checkov:skip=CKV2_AWS_29:No WAF: throttling is set per stage and method; add a web ACL when the threat model asks for one (cost)
  #checkov:skip=CKV2_AWS_51:No client certificate: the backend is Lambda (AWS_PROXY), not an HTTP endpoint that could verify one
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      extendedRequestId  = "$context.extendedRequestId"
      ip                 = "$context.identity.sourceIp"
      userAgent          = "$context.identity.userAgent"
      requestTime        = "$context.requestTimeEpoch"
      httpMethod         = "$context.httpMethod"
      path               = "$context.path"
      resourcePath       = "$context.resourcePath"
      protocol           = "$context.protocol"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationLatency = "$context.integration.latency"
      integrationStatus  = "$context.integration.status"
      integrationError   = "$context.integration.error"
      xrayTraceId        = "$context.xrayTraceId"
      domainName         = "$context.domainName"
    })
  }

  depends_on = [aws_api_gateway_account.this, aws_cloudwatch_log_group.api_execution]
}

resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:Responses are per user and authenticated; API Gateway caching would serve stale or foreign data
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = var.api_logging_level
    data_trace_enabled     = false # full request/response logging would capture credentials
    throttling_rate_limit  = var.api_throttling_rate_limit
    throttling_burst_limit = var.api_throttling_burst_limit
    caching_enabled        = false
  }
}

resource "aws_cloudwatch_log_group" "api_access" {
  name              = "/aws/apigateway/${local.name}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
}

# API Gateway creates its execution log group on first use, without
# retention; created here first, it gets ours.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
resource "aws_cloudwatch_log_group" "api_execution" {
  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
}

################################################################################
# Throttling answers in the API's own error format (RFC 9457 problem details)
#
# THROTTLED: the stage's rate/burst limit (429). INTEGRATION_FAILURE: API
# Gateway could not invoke the function, which is what a Lambda throttle
# (reserved concurrency exhausted) becomes behind a proxy integration, and
# would otherwise be a bare 500 (503). INTEGRATION_TIMEOUT: 29 s passed (504).
# DEFAULT_5XX: every other 5XX API Gateway generates (503). The function's own
# responses are not gateway responses: they pass through unchanged.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
# https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html
################################################################################

locals {
  retryable_responses = {
    THROTTLED = {
      status      = 429
      title       = "Too Many Requests"
      detail      = "The request rate limit of this API was exceeded; retry after the number of seconds in Retry-After."
      retry_after = 1
    }
    INTEGRATION_FAILURE = {
      status      = 503
      title       = "Service Unavailable"
      detail      = "The service is at its concurrency limit or could not be reached; retry after the number of seconds in Retry-After."
      retry_after = 2
    }
    # Any other error API Gateway itself answers with a 5XX (whichever type a
    # Lambda throttle is reported as): retryable, in the same format.
    DEFAULT_5XX = {
      status      = 503
      title       = "Service Unavailable"
      detail      = "The service could not take the request; retry after the number of seconds in Retry-After."
      retry_after = 2
    }
    INTEGRATION_TIMEOUT = {
      status      = 504
      title       = "Gateway Timeout"
      detail      = "The service did not answer in time; retry after the number of seconds in Retry-After."
      retry_after = 5
    }
  }
}

resource "aws_api_gateway_gateway_response" "retryable" {
  for_each = local.retryable_responses

  rest_api_id   = aws_api_gateway_rest_api.this.id
  response_type = each.key
  status_code   = tostring(each.value.status)

  response_parameters = {
    "gatewayresponse.header.Content-Type" = "'application/problem+json'"
    "gatewayresponse.header.Retry-After"  = "'${each.value.retry_after}'"
  }

  # API Gateway picks the template by media type and falls back to
  # application/json; the body is the same JSON either way.
  response_templates = {
    "application/json" = jsonencode({
      type     = "about:blank"
      title    = each.value.title
      status   = each.value.status
      detail   = each.value.detail
      instance = "$context.path"
    })
  }
}

# Only this API, only through the live alias (and any stage/method/path of it).
resource "aws_lambda_permission" "api_gateway" {
  statement_id  = "AllowApiGatewayInvokeLive"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["api"].function_name
  qualifier     = aws_lambda_alias.live["api"].name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/*"
}

################################################################################
# Account-level CloudWatch role of API Gateway (one per account and region)
#
# Access and execution logging need it. With two environments in one account
# and region, the first environment's stack manages it and the second sets
# manage_api_gateway_account = false (its stages use the same setting).
################################################################################

data "aws_iam_policy_document" "api_gateway_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "api_gateway_cloudwatch" {
  count = var.manage_api_gateway_account ? 1 : 0

  name               = "${local.name}-apigateway-cloudwatch"
  description        = "Lets API Gateway write access and execution logs"
  assume_role_policy = data.aws_iam_policy_document.api_gateway_assume.json
}

resource "aws_iam_role_policy_attachment" "api_gateway_cloudwatch" {
  count = var.manage_api_gateway_account ? 1 : 0

  role       = aws_iam_role.api_gateway_cloudwatch[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_api_gateway_account ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.api_gateway_cloudwatch[0].arn

  depends_on = [aws_iam_role_policy_attachment.api_gateway_cloudwatch]
}
