################################################################################
# General
################################################################################

variable "name" {
  description = "Project name: prefix of every resource name (with the environment)."
  type        = string
  default     = "inventory"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name: 2-21 characters, lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (staging, production, ...): part of every resource name, so two environments can share an account and region; also the default GitHub environment the deploy role trusts."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,11}$", var.environment))
    error_message = "environment: 2-12 lowercase letters or digits, starting with a letter."
  }
}

variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "eu-west-1"
}

variable "allowed_account_ids" {
  description = "If set, the AWS provider refuses to run against any other account (guards against the wrong credentials)."
  type        = list(string)
  default     = null
}

variable "tags" {
  description = "Extra tags for every resource (merged with Project, Environment, ManagedBy)."
  type        = map(string)
  default     = {}
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the customer managed key is deleted after a destroy (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "log_retention_days" {
  description = "Retention of every CloudWatch log group of the stack (functions, API access, database, flow logs)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ..., 365, ..., 3653)."
  }
}

################################################################################
# Network
################################################################################

variable "vpc_cidr" {
  description = "CIDR block of the VPC; each private subnet gets a /20 of a /16 (cidrsubnet(vpc_cidr, 4, n))."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr))
    error_message = "vpc_cidr must be an IPv4 CIDR block."
  }
}

variable "az_count" {
  description = "Number of availability zones (one private subnet each); Aurora needs at least 2."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 4
    error_message = "az_count must be between 2 and 4."
  }
}

################################################################################
# Database
################################################################################

variable "db_engine_version" {
  description = "Aurora MySQL version at creation (8.0-compatible, 3.x; default: the 3.10 long-term support line). Scale to zero (db_min_capacity = 0) needs 3.08.0 or later. Later changes are ignored (AWS upgrades patch levels itself)."
  type        = string
  default     = "8.0.mysql_aurora.3.10.0"

  validation {
    condition     = can(regex("^8\\.0\\.mysql_aurora\\.3\\.\\d{2}\\.\\d+$", var.db_engine_version))
    error_message = "db_engine_version must look like 8.0.mysql_aurora.3.MM.P (Aurora MySQL 3)."
  }
}

variable "db_auto_minor_version_upgrade" {
  description = "Let AWS move the instances to newer minor versions in the maintenance window. Off by default: on an LTS release AWS recommends it off (it may leave the LTS line); critical LTS patches are applied either way."
  type        = bool
  default     = false
}

variable "db_long_query_time" {
  description = "Seconds after which a statement goes to the exported slow query log."
  type        = number
  default     = 2

  validation {
    condition     = var.db_long_query_time > 0 && var.db_long_query_time <= 3600
    error_message = "db_long_query_time must be between 0 (exclusive) and 3600 seconds."
  }
}

variable "db_name" {
  description = "Name of the application database (schema) created in the cluster."
  type        = string
  default     = "inventory"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,63}$", var.db_name))
    error_message = "db_name must start with a letter and contain only letters, digits and underscores (at most 64)."
  }
}

variable "db_master_username" {
  description = "Master user name; its password is generated and kept by RDS in its own secret."
  type        = string
  default     = "admin_user"
}

variable "db_min_capacity" {
  description = "Minimum Aurora capacity in ACU (0.5 steps). 0 lets the instance pause when idle (first request after a pause waits ~15 s)."
  type        = number
  default     = 0

  validation {
    condition     = var.db_min_capacity >= 0 && var.db_min_capacity <= 256 && floor(var.db_min_capacity * 2) == var.db_min_capacity * 2
    error_message = "db_min_capacity must be between 0 and 256 in steps of 0.5."
  }
}

variable "db_max_capacity" {
  description = "Maximum Aurora capacity in ACU (1-256, steps of 0.5)."
  type        = number
  default     = 4

  validation {
    condition     = var.db_max_capacity >= 1 && var.db_max_capacity <= 256 && floor(var.db_max_capacity * 2) == var.db_max_capacity * 2
    error_message = "db_max_capacity must be between 1 and 256 in steps of 0.5."
  }
}

variable "db_seconds_until_auto_pause" {
  description = "Idle seconds before a 0-ACU-minimum instance pauses (300-86400); used only when db_min_capacity = 0."
  type        = number
  default     = 900

  validation {
    condition     = var.db_seconds_until_auto_pause >= 300 && var.db_seconds_until_auto_pause <= 86400
    error_message = "db_seconds_until_auto_pause must be between 300 and 86400."
  }
}

variable "db_idle_connection_timeout" {
  description = "MySQL wait_timeout/interactive_timeout in seconds: idle connections of frozen Lambda containers close after it, so the instance can pause (the service's pool_recycle must stay below it)."
  type        = number
  default     = 600

  validation {
    condition     = var.db_idle_connection_timeout >= 60 && var.db_idle_connection_timeout <= 28800
    error_message = "db_idle_connection_timeout must be between 60 and 28800."
  }
}

variable "db_instance_count" {
  description = "Number of db.serverless instances (1 = writer only; 2+ adds readers in other AZs for failover)."
  type        = number
  default     = 1

  validation {
    condition     = var.db_instance_count >= 1 && var.db_instance_count <= 4
    error_message = "db_instance_count must be between 1 and 4."
  }
}

variable "db_backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery window), 1-35."
  type        = number
  default     = 7

  validation {
    condition     = var.db_backup_retention_days >= 1 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be between 1 and 35."
  }
}

variable "db_backup_window" {
  description = "Daily backup window (UTC, hh24:mi-hh24:mi); must not overlap the maintenance window."
  type        = string
  default     = "02:00-03:00"
}

variable "db_maintenance_window" {
  description = "Weekly maintenance window (UTC, ddd:hh24:mi-ddd:hh24:mi)."
  type        = string
  default     = "sun:03:30-sun:04:30"
}

variable "db_deletion_protection" {
  description = "Refuse to delete the cluster (set false, apply, then destroy to tear a stack down)."
  type        = bool
  default     = true
}

variable "db_skip_final_snapshot" {
  description = "Destroy the cluster without a final snapshot (only for throwaway environments)."
  type        = bool
  default     = false
}

variable "db_performance_insights_enabled" {
  description = "Performance Insights on the instances (7 days retention: free tier), encrypted with the stack key."
  type        = bool
  default     = true
}

variable "db_monitoring_interval" {
  description = "Enhanced monitoring interval in seconds (0 turns it off; 1, 5, 10, 15, 30 or 60)."
  type        = number
  default     = 60

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.db_monitoring_interval)
    error_message = "db_monitoring_interval must be one of 0, 1, 5, 10, 15, 30, 60."
  }
}

################################################################################
# Secrets
################################################################################

variable "secret_recovery_window_days" {
  description = "Days a deleted application secret can be restored (0 deletes at once; 7-30 otherwise)."
  type        = number
  default     = 7

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 or between 7 and 30."
  }
}

################################################################################
# Storage
################################################################################

variable "images_force_destroy" {
  description = "Let `terraform destroy` delete the image bucket with its objects (only for throwaway environments)."
  type        = bool
  default     = false
}

variable "images_noncurrent_version_expiration_days" {
  description = "Days after which replaced or deleted image versions are removed for good."
  type        = number
  default     = 30

  validation {
    condition     = var.images_noncurrent_version_expiration_days >= 1
    error_message = "images_noncurrent_version_expiration_days must be at least 1."
  }
}

################################################################################
# Lambda
################################################################################

variable "package_path" {
  description = "Path of the Lambda zip built by `python -m deploy package` (relative to this directory)."
  type        = string
  default     = "../build/lambda.zip"
}

variable "lambda_runtime" {
  description = "Lambda runtime of the three functions (the package is built for it)."
  type        = string
  default     = "python3.12"
}

variable "lambda_architecture" {
  description = "Lambda architecture of the three functions (the package is built for it)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "api_memory_size" {
  description = "Memory of the API function in MB (CPU scales with it)."
  type        = number
  default     = 1024
}

variable "api_reserved_concurrency" {
  description = "Reserved concurrency of the API function: caps its containers and so the database connections (one each). -1 = none (default: a new account's concurrency quota of 10 leaves nothing to reserve, since AWS keeps 10 unreserved)."
  type        = number
  default     = -1

  validation {
    condition     = var.api_reserved_concurrency == -1 || var.api_reserved_concurrency >= 1
    error_message = "api_reserved_concurrency must be -1 (none) or at least 1."
  }
}

variable "migrate_reserved_concurrency" {
  description = "Reserved concurrency of the migration job (1 = one at a time; the job also takes a database lock). -1 = none (default, see api_reserved_concurrency)."
  type        = number
  default     = -1

  validation {
    condition     = var.migrate_reserved_concurrency == -1 || var.migrate_reserved_concurrency >= 1
    error_message = "migrate_reserved_concurrency must be -1 (none) or at least 1."
  }
}

variable "rotate_reserved_concurrency" {
  description = "Reserved concurrency of the rotation function (Secrets Manager runs one rotation at a time). -1 = none (default, see api_reserved_concurrency)."
  type        = number
  default     = -1

  validation {
    condition     = var.rotate_reserved_concurrency == -1 || var.rotate_reserved_concurrency >= 1
    error_message = "rotate_reserved_concurrency must be -1 (none) or at least 1."
  }
}

variable "api_snap_start" {
  description = "SnapStart on the API function's published versions (python3.12 and later; costs a snapshot cache charge per version and a restore charge per cold start; not with provisioned concurrency)."
  type        = bool
  default     = false

  validation {
    condition     = !var.api_snap_start || try(tonumber(trimprefix(var.lambda_runtime, "python3.")) >= 12, false)
    error_message = "api_snap_start needs a python3.12 or later runtime (lambda_runtime)."
  }

  validation {
    condition     = !var.api_snap_start || var.api_provisioned_concurrency == 0
    error_message = "api_snap_start and api_provisioned_concurrency exclude each other (Lambda does not support both on one function)."
  }
}

variable "secrets_extension_layer_arn" {
  description = "ARN of AWS's Parameters and Secrets Lambda Extension layer for this region and lambda_architecture (AWS publishes them per region: https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html). With it the API reads its database secret over localhost instead of creating an SDK client at cold start; null = read with botocore (service/aws_sdk.py)."
  type        = string
  default     = null

  validation {
    condition = var.secrets_extension_layer_arn == null || can(regex(
      "^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:AWS-Parameters-and-Secrets-Lambda-Extension${var.lambda_architecture == "arm64" ? "-Arm64" : ""}:[0-9]+$",
      var.secrets_extension_layer_arn,
    ))
    error_message = "secrets_extension_layer_arn must be a version ARN of AWS-Parameters-and-Secrets-Lambda-Extension (with -Arm64 for arm64 functions)."
  }
}

variable "api_provisioned_concurrency" {
  description = "Provisioned concurrency on the API's live alias (warm containers, billed while provisioned); 0 = none. Not with api_snap_start."
  type        = number
  default     = 0

  validation {
    condition     = var.api_provisioned_concurrency >= 0
    error_message = "api_provisioned_concurrency must be 0 (none) or more."
  }

  validation {
    condition     = var.api_reserved_concurrency == -1 || var.api_provisioned_concurrency <= var.api_reserved_concurrency
    error_message = "api_provisioned_concurrency cannot exceed api_reserved_concurrency."
  }
}

variable "bcrypt_rounds" {
  description = "bcrypt cost for new password hashes (each step doubles the time: 10 is ~60 ms on one vCPU; verified credentials are cached)"
  type        = number
  default     = 10

  validation {
    condition     = var.bcrypt_rounds >= 10 && var.bcrypt_rounds <= 14
    error_message = "bcrypt_rounds must be between 10 and 14."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of the three functions."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "image_url_expires_seconds" {
  description = "Lifetime of the presigned image download URLs (IMAGE_URL_EXPIRES)."
  type        = number
  default     = 900

  validation {
    condition     = var.image_url_expires_seconds >= 60 && var.image_url_expires_seconds <= 604800
    error_message = "image_url_expires_seconds must be between 60 and 604800 (7 days, SigV4's limit)."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the API's EMF metrics (POWERTOOLS_METRICS_NAMESPACE)."
  type        = string
  default     = "InventoryApi"
}

################################################################################
# API Gateway
################################################################################

variable "stage_name" {
  description = "API Gateway stage name: the first path segment of the execute-api URL (not of the custom domain), so not v1: the routes already start with /v1."
  type        = string
  default     = "api"
}

variable "api_throttling_rate_limit" {
  description = "Steady-state requests per second allowed on the stage (all methods); beyond it clients get 429 + Retry-After."
  type        = number
  default     = 50

  validation {
    condition     = var.api_throttling_rate_limit > 0
    error_message = "api_throttling_rate_limit must be positive."
  }
}

variable "api_throttling_burst_limit" {
  description = "Requests the stage accepts at once (token bucket size). At most api_reserved_concurrency: a request the function cannot take is throttled by Lambda, which API Gateway reports as a failed integration (503 here). Default 10: a new account's whole concurrency quota."
  type        = number
  default     = 10

  validation {
    condition     = var.api_throttling_burst_limit >= 1
    error_message = "api_throttling_burst_limit must be at least 1."
  }

  validation {
    condition     = var.api_reserved_concurrency == -1 || var.api_throttling_burst_limit <= var.api_reserved_concurrency
    error_message = "api_throttling_burst_limit must not exceed api_reserved_concurrency."
  }
}

variable "api_logging_level" {
  description = "API Gateway execution logging level (OFF, ERROR or INFO); access logs are always on."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.api_logging_level)
    error_message = "api_logging_level must be OFF, ERROR or INFO."
  }
}

variable "manage_api_gateway_account" {
  description = "Create API Gateway's account-level CloudWatch Logs role and setting (one per account and region). With two environments in one account and region, exactly one stack sets true (see README.md, Environments)."
  type        = bool
  default     = true
}

################################################################################
# Custom domain (optional)
################################################################################

variable "domain_name" {
  description = "Custom domain of the API (e.g. api.example.com); null = only the execute-api URL."
  type        = string
  default     = null
}

variable "hosted_zone_id" {
  description = "Route53 public hosted zone holding domain_name (required with domain_name)."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || var.hosted_zone_id != null
    error_message = "hosted_zone_id is required when domain_name is set."
  }
}

variable "disable_execute_api_endpoint" {
  description = "With a custom domain, switch off the default execute-api URL so all traffic goes through the domain."
  type        = bool
  default     = false
}

################################################################################
# Monitoring
################################################################################

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (confirm the subscription mail); null = no subscription."
  type        = string
  default     = null
}

variable "alarm_api_5xx_threshold" {
  description = "5XX responses in 5 minutes that raise the API 5XX alarm."
  type        = number
  default     = 5
}

variable "alarm_api_p99_latency_ms" {
  description = "p99 API latency (ms) above which the latency alarm fires."
  type        = number
  default     = 3000
}

variable "alarm_db_connections_threshold" {
  description = "Aurora connections above which the connections alarm fires; null = one per API container plus the migration job and the rotation: api_reserved_concurrency + 2, or 10 + 2 without a reservation (a new account's concurrency quota)."
  type        = number
  default     = null

  validation {
    condition     = var.alarm_db_connections_threshold == null || try(var.alarm_db_connections_threshold >= 1, false)
    error_message = "alarm_db_connections_threshold must be null or at least 1."
  }
}

################################################################################
# GitHub deploys (OIDC)
################################################################################

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows may assume the deploy role."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must look like owner/name."
  }
}

variable "github_environment" {
  description = "GitHub environment whose jobs may assume the deploy role (OIDC subject repo:<owner>/<repo>:environment:<name>); null = the value of environment."
  type        = string
  default     = null
}

variable "github_allow_main_branch" {
  description = "Also trust jobs on the main branch that use no environment (subject repo:<owner>/<repo>:ref:refs/heads/main)."
  type        = bool
  default     = false
}

variable "github_oidc_provider_arn" {
  description = "ARN of an existing GitHub OIDC provider (one per account): set it in the second environment's stack to the first's github_oidc_provider_arn output; null = this stack creates it."
  type        = string
  default     = null
}

variable "deploy_state_object_arn" {
  description = "ARN of the Terraform state object (arn:aws:s3:::bucket/key) the deploy role may read for `terraform output`; null = no access."
  type        = string
  default     = null
}
