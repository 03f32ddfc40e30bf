################################################################################
# Aurora Serverless v2 (MySQL 8 compatible)
################################################################################

resource "aws_db_subnet_group" "this" {
  name        = local.name
  description = "${local.name}: private subnets for Aurora"
  subnet_ids  = aws_subnet.private[*].id
}

resource "aws_rds_cluster_parameter_group" "this" {
  name        = "${local.name}-aurora-mysql8"
  family      = "aurora-mysql8.0"
  description = "${local.name}: TLS required, audit and slow query logs"

  # Every connection must use TLS (the service verifies against the RDS CA bundle).
  parameter {
    name  = "require_secure_transport"
    value = "ON"
  }

  # Feeds the exported "audit" log: connections and privilege/schema changes,
  # not every query (cost).
  parameter {
    name  = "server_audit_logging"
    value = "1"
  }

  parameter {
    name  = "server_audit_events"
    value = "CONNECT,QUERY_DCL,QUERY_DDL"
  }

  # Feeds the exported "slowquery" log (without it the export stays empty).
  # (all three in the cluster parameter group, as AWS documents for Aurora MySQL)
  # https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_DatabaseInsights.SlowSQL.html
  parameter {
    name  = "slow_query_log"
    value = "1"
  }

  parameter {
    name  = "long_query_time"
    value = tostring(var.db_long_query_time)
  }

  # Write the slow query log to a file, which is what RDS exports.
  parameter {
    name  = "log_output"
    value = "FILE"
  }

  # Frozen Lambda containers keep their connection open; MySQL's default
  # 8-hour wait_timeout would keep a scale-to-zero instance from ever pausing.
  # Cluster-level default of an instance parameter; the service recycles its
  # pooled connection well below it and pings before use.
  parameter {
    name  = "wait_timeout"
    value = tostring(var.db_idle_connection_timeout)
  }

  parameter {
    name  = "interactive_timeout"
    value = tostring(var.db_idle_connection_timeout)
  }
}

resource "aws_rds_cluster" "this" {
  #checkov:skip=CKV_AWS_326:Backtrack rewinds the whole cluster and bills every change record; recovery is point-in-time restore from the automated backups
  #checkov:skip=CKV2_AWS_8:Aurora's continuous automated backups (point-in-time restore within db_backup_retention_days) and the final snapshot cover recovery; an AWS Backup plan (cross-account copies) is an account-level decision
  cluster_identifier = local.name
  engine             = "aurora-mysql"
  engine_mode        = "provisioned" # Serverless v2 = provisioned mode + db.serverless instances
  engine_version     = var.db_engine_version
  database_name      = var.db_name
  port               = local.db_port

  # RDS creates the master password and keeps it in its own secret, rotated
  # by RDS; Terraform state never holds it.
  master_username               = var.db_master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = aws_kms_key.this.arn

  iam_database_authentication_enabled = true
  storage_encrypted                   = true
  kms_key_id                          = aws_kms_key.this.arn

  db_subnet_group_name            = aws_db_subnet_group.this.name
  vpc_security_group_ids          = [aws_security_group.database.id]
  db_cluster_parameter_group_name = aws_rds_cluster_parameter_group.this.name

  serverlessv2_scaling_configuration {
    # 0 ACU = scale to zero: the instance pauses when idle (Aurora MySQL 3.08+).
    min_capacity             = var.db_min_capacity
    max_capacity             = var.db_max_capacity
    seconds_until_auto_pause = var.db_min_capacity == 0 ? var.db_seconds_until_auto_pause : null
  }

  backup_retention_period      = var.db_backup_retention_days
  preferred_backup_window      = var.db_backup_window
  preferred_maintenance_window = var.db_maintenance_window
  copy_tags_to_snapshot        = true
  deletion_protection          = var.db_deletion_protection
  skip_final_snapshot          = var.db_skip_final_snapshot
  final_snapshot_identifier    = "${local.name}-final"

  enabled_cloudwatch_logs_exports = ["audit", "error", "slowquery"]

  lifecycle {
    # AWS applies patch (and, if enabled, minor) upgrades itself; a plan
    # after one must not try to downgrade the cluster to the configured
    # version. Upgrade on purpose by raising db_engine_version and removing
    # this line for one apply, or with the RDS console/API.
    ignore_changes = [engine_version]
  }

  depends_on = [aws_cloudwatch_log_group.database]
}

resource "aws_rds_cluster_instance" "this" {
  #checkov:skip=CKV_AWS_226:The default engine is an LTS release, on which AWS recommends automatic minor upgrades off (they may leave the LTS line); AWS still applies critical LTS patches; db_auto_minor_version_upgrade turns them on
  count = var.db_instance_count

  identifier          = "${local.name}-${count.index + 1}"
  cluster_identifier  = aws_rds_cluster.this.id
  engine              = aws_rds_cluster.this.engine
  instance_class      = "db.serverless"
  publicly_accessible = false

  # AWS recommends leaving it off on LTS releases: an automatic minor upgrade
  # may move the cluster off the LTS line.
  # https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Update.SpecialVersions.html
  auto_minor_version_upgrade            = var.db_auto_minor_version_upgrade
  performance_insights_enabled          = var.db_performance_insights_enabled
  performance_insights_kms_key_id       = var.db_performance_insights_enabled ? aws_kms_key.this.arn : null
  performance_insights_retention_period = var.db_performance_insights_enabled ? 7 : null
  monitoring_interval                   = var.db_monitoring_interval
  monitoring_role_arn                   = var.db_monitoring_interval > 0 ? aws_iam_role.rds_monitoring[0].arn : null
}

# Created here (not by RDS) so they get retention and encryption. Enhanced
# Monitoring's RDSOSMetrics group is not: it is one group per account and
# region shared by every RDS instance, and RDS creates it with 30 days'
# retention (USER_Monitoring.OS.html#USER_Monitoring.OS.retention).
resource "aws_cloudwatch_log_group" "database" {
  for_each = toset(["audit", "error", "slowquery"])

  name              = "/aws/rds/cluster/${local.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
}

################################################################################
# Enhanced monitoring role (only when monitoring_interval > 0)
################################################################################

data "aws_iam_policy_document" "rds_monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.${local.dns_suffix}"]
    }
  }
}

resource "aws_iam_role" "rds_monitoring" {
  count = var.db_monitoring_interval > 0 ? 1 : 0

  name               = "${local.name}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.rds_monitoring_assume.json
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  count = var.db_monitoring_interval > 0 ? 1 : 0

  role       = aws_iam_role.rds_monitoring[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}
