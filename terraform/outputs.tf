################################################################################
# API Gateway
################################################################################

output "api_url" {
  description = "Invoke URL of the API stage (https://<id>.execute-api.<region>.amazonaws.com/<stage>)."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "api_stage_name" {
  description = "Name of the API stage."
  value       = aws_api_gateway_stage.this.stage_name
}

################################################################################
# Custom domain
################################################################################

output "custom_domain_url" {
  description = "https URL of the custom domain (null when domain_name is not set)."
  value       = try("https://${aws_api_gateway_domain_name.this[0].domain_name}", null)
}

output "custom_domain_target" {
  description = "Regional API Gateway domain the custom domain's alias records point to (null without a custom domain)."
  value       = try(aws_api_gateway_domain_name.this[0].regional_domain_name, null)
}

################################################################################
# Lambda
################################################################################

output "api_function_name" {
  description = "Name of the API function (API_FUNCTION_NAME for `python -m deploy`)."
  value       = aws_lambda_function.api.function_name
}

output "migrate_function_name" {
  description = "Name of the migration job function (MIGRATE_FUNCTION_NAME)."
  value       = aws_lambda_function.migrate.function_name
}

output "rotate_function_name" {
  description = "Name of the secret rotation function (ROTATE_FUNCTION_NAME)."
  value       = aws_lambda_function.rotate.function_name
}

output "api_alias_name" {
  description = "Alias of the API function that API Gateway invokes (moved by the release pipeline)."
  value       = aws_lambda_alias.live.name
}

output "api_alias_arn" {
  description = "ARN of the live alias."
  value       = aws_lambda_alias.live.arn
}

################################################################################
# Storage
################################################################################

output "images_bucket_name" {
  description = "Name of the image bucket (IMAGES_BUCKET)."
  value       = aws_s3_bucket.images.id
}

################################################################################
# Database and secrets
################################################################################

output "app_secret_arn" {
  description = "ARN of the application database secret (DB_SECRET_ARN), rotated every 7 days."
  value       = aws_secretsmanager_secret.app.arn
}

output "master_secret_arn" {
  description = "ARN of the RDS-managed master user secret (DB_ADMIN_SECRET_ARN)."
  value       = try(aws_rds_cluster.this.master_user_secret[0].secret_arn, null)
}

output "db_endpoint" {
  description = "Writer endpoint of the Aurora cluster (DB_HOST)."
  value       = aws_rds_cluster.this.endpoint
}

output "kms_key_arn" {
  description = "ARN of the stack's customer managed KMS key."
  value       = aws_kms_key.this.arn
}

################################################################################
# Monitoring
################################################################################

output "alarm_topic_arn" {
  description = "SNS topic the alarms publish to (subscribe more endpoints here)."
  value       = aws_sns_topic.alarms.arn
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

################################################################################
# GitHub deploys
################################################################################

output "deploy_role_arn" {
  description = "Role the GitHub deploy workflow assumes through OIDC (aws-actions/configure-aws-credentials role-to-assume)."
  value       = aws_iam_role.deploy.arn
}

output "github_oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider used by the deploy role (created here or passed in)."
  value       = local.github_oidc_provider_arn
}
