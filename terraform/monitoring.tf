################################################################################
# Alarms -> SNS topic (KMS-encrypted), optional e-mail subscription
################################################################################

resource "aws_sns_topic" "alarms" {
  name              = "${local.name}-alarms"
  kms_master_key_id = aws_kms_key.this.arn
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email != null ? 1 : 0

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  api_dimensions = {
    ApiName = aws_api_gateway_rest_api.this.name
    Stage   = aws_api_gateway_stage.this.stage_name
  }

  # One connection per API container, plus the migration job and the rotation.
  db_connections_threshold = coalesce(
    var.alarm_db_connections_threshold,
    (var.api_reserved_concurrency > 0 ? var.api_reserved_concurrency : 10) + 2,
  )

  # Every alarm of the stack; the key is the alarm name's suffix. statistic
  # and extended_statistic exclude each other (null = not set).
  alarms = {
    api-5xx = {
      description        = "API Gateway returned 5XX responses (the function failed, timed out or the database is down)"
      namespace          = "AWS/ApiGateway"
      metric             = "5XXError"
      dimensions         = local.api_dimensions
      statistic          = "Sum"
      extended_statistic = null
      period             = 300
      evaluation_periods = 1
      datapoints         = null
      threshold          = var.alarm_api_5xx_threshold
      comparison         = "GreaterThanOrEqualToThreshold"
    }
    api-latency-p99 = {
      description        = "API Gateway p99 latency above ${var.alarm_api_p99_latency_ms} ms"
      namespace          = "AWS/ApiGateway"
      metric             = "Latency"
      dimensions         = local.api_dimensions
      statistic          = null
      extended_statistic = "p99"
      period             = 300
      evaluation_periods = 3
      datapoints         = 2
      threshold          = var.alarm_api_p99_latency_ms
      comparison         = "GreaterThanThreshold"
    }
    api-lambda-errors = {
      description        = "The API function raised errors (unhandled exceptions, timeouts, out of memory)"
      namespace          = "AWS/Lambda"
      metric             = "Errors"
      dimensions         = { FunctionName = local.function_names.api }
      statistic          = "Sum"
      extended_statistic = null
      period             = 300
      evaluation_periods = 1
      datapoints         = null
      threshold          = 1
      comparison         = "GreaterThanOrEqualToThreshold"
    }
    api-lambda-throttles = {
      description        = "The API function hit its concurrency limit (requests were throttled and answered 503)"
      namespace          = "AWS/Lambda"
      metric             = "Throttles"
      dimensions         = { FunctionName = local.function_names.api }
      statistic          = "Sum"
      extended_statistic = null
      period             = 300
      evaluation_periods = 1
      datapoints         = null
      threshold          = 1
      comparison         = "GreaterThanOrEqualToThreshold"
    }
    rotation-errors = {
      description        = "The secret rotation function failed: the application secret may be stuck in AWSPENDING"
      namespace          = "AWS/Lambda"
      metric             = "Errors"
      dimensions         = { FunctionName = local.function_names.rotate }
      statistic          = "Sum"
      extended_statistic = null
      period             = 3600
      evaluation_periods = 1
      datapoints         = null
      threshold          = 1
      comparison         = "GreaterThanOrEqualToThreshold"
    }
    db-capacity = {
      description        = "Aurora Serverless v2 near its maximum capacity (${var.db_max_capacity} ACU)"
      namespace          = "AWS/RDS"
      metric             = "ServerlessDatabaseCapacity"
      dimensions         = { DBClusterIdentifier = aws_rds_cluster.this.cluster_identifier }
      statistic          = "Maximum"
      extended_statistic = null
      period             = 300
      evaluation_periods = 3
      datapoints         = null
      threshold          = var.db_max_capacity * 0.9
      comparison         = "GreaterThanOrEqualToThreshold"
    }
    db-connections = {
      description        = "Aurora connections above ${local.db_connections_threshold} (each API container holds one)"
      namespace          = "AWS/RDS"
      metric             = "DatabaseConnections"
      dimensions         = { DBClusterIdentifier = aws_rds_cluster.this.cluster_identifier }
      statistic          = "Maximum"
      extended_statistic = null
      period             = 300
      evaluation_periods = 2
      datapoints         = null
      threshold          = local.db_connections_threshold
      comparison         = "GreaterThanThreshold"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${local.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  extended_statistic  = each.value.extended_statistic
  period              = each.value.period
  evaluation_periods  = each.value.evaluation_periods
  datapoints_to_alarm = each.value.datapoints
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

# Addresses before the alarms became a for_each map.
moved {
  from = aws_cloudwatch_metric_alarm.api_5xx
  to   = aws_cloudwatch_metric_alarm.this["api-5xx"]
}

moved {
  from = aws_cloudwatch_metric_alarm.api_latency_p99
  to   = aws_cloudwatch_metric_alarm.this["api-latency-p99"]
}

moved {
  from = aws_cloudwatch_metric_alarm.api_errors
  to   = aws_cloudwatch_metric_alarm.this["api-lambda-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.api_throttles
  to   = aws_cloudwatch_metric_alarm.this["api-lambda-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.rotation_errors
  to   = aws_cloudwatch_metric_alarm.this["rotation-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.db_capacity
  to   = aws_cloudwatch_metric_alarm.this["db-capacity"]
}

moved {
  from = aws_cloudwatch_metric_alarm.db_connections
  to   = aws_cloudwatch_metric_alarm.this["db-connections"]
}

################################################################################
# Dashboard
################################################################################

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = local.name
  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title  = "API requests and errors"
          region = local.region
          stat   = "Sum"
          period = 300
          metrics = [
            ["AWS/ApiGateway", "Count", "ApiName", local.api_dimensions.ApiName, "Stage", local.api_dimensions.Stage],
            [".", "4XXError", ".", ".", ".", "."],
            [".", "5XXError", ".", ".", ".", "."],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title  = "API latency (p50 / p99, ms)"
          region = local.region
          period = 300
          metrics = [
            ["AWS/ApiGateway", "Latency", "ApiName", local.api_dimensions.ApiName, "Stage", local.api_dimensions.Stage, { stat = "p50" }],
            ["...", { stat = "p99" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title  = "Lambda errors, throttles, concurrency"
          region = local.region
          period = 300
          metrics = [
            ["AWS/Lambda", "Errors", "FunctionName", local.function_names.api, { stat = "Sum" }],
            [".", "Throttles", ".", ".", { stat = "Sum" }],
            [".", "ConcurrentExecutions", ".", ".", { stat = "Maximum" }],
            [".", "Errors", ".", local.function_names.rotate, { stat = "Sum" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title  = "Aurora capacity (ACU) and connections"
          region = local.region
          period = 300
          stat   = "Maximum"
          metrics = [
            ["AWS/RDS", "ServerlessDatabaseCapacity", "DBClusterIdentifier", aws_rds_cluster.this.cluster_identifier],
            [".", "DatabaseConnections", ".", "."],
          ]
        }
      },
    ]
  })
}
