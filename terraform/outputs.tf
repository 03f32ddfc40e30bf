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

output "api_base_url" {
  description = "Base URL clients and the smoke test use (API_BASE_URL): the custom domain when set, else the stage's invoke URL."
  value       = try("https://${aws_api_gateway_domain_name.this[0].domain_name}", aws_api_gateway_stage.this.invoke_url)
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
  value       = aws_lambda_function.this["api"].function_name
}

output "migrate_function_name" {
  description = "Name of the migration job function (MIGRATE_FUNCTION_NAME)."
  value       = aws_lambda_function.this["migrate"].function_name
}

output "rotate_function_name" {
  description = "Name of the secret rotation function (ROTATE_FUNCTION_NAME)."
  value       = aws_lambda_function.this["rotate"].function_name
}

output "api_alias_name" {
  description = "Alias of the API and rotation functions that API Gateway and Secrets Manager invoke (moved by the release pipeline)."
  value       = aws_lambda_alias.live["api"].name
}

output "api_alias_arn" {
  description = "ARN of the API function's live alias."
  value       = aws_lambda_alias.live["api"].arn
}

output "rotate_alias_arn" {
  description = "ARN of the rotation function's live alias (the secret's rotation_lambda_arn)."
  value       = aws_lambda_alias.live["rotate"].arn
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
  description = "This environment's deploy role (AWS_DEPLOY_ROLE_ARN): the GitHub environment's jobs assume it through OIDC."
  value       = aws_iam_role.deploy.arn
}

output "github_oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider used by the deploy role (created here or passed in): the second environment's github_oidc_provider_arn."
  value       = local.github_oidc_provider_arn
}
