################################################################################
# Shared locals and data sources
################################################################################

locals {
  name = "${var.name}-${var.environment}"

  tags = merge(var.tags, {
    Project     = var.name
    Environment = var.environment
    ManagedBy   = "terraform"
  })

  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition
  dns_suffix = data.aws_partition.current.dns_suffix

  azs = slice(data.aws_availability_zones.available.names, 0, var.az_count)

  # Function names are known before the functions exist: IAM policies and log
  # groups use them without a dependency cycle.
  function_names = {
    api     = "${local.name}-api"
    migrate = "${local.name}-migrate"
    rotate  = "${local.name}-rotate"
  }

  function_arns = {
    for key, name in local.function_names :
    key => "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${name}"
  }

  db_port = 3306

  # The RDS-managed master secret ({"username","password"}), rotated by RDS.
  master_secret_arn = aws_rds_cluster.this.master_user_secret[0].secret_arn
}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Only the first az_count zones (by name) are used; a new zone gets a later letter, so the chosen subnets never move
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}
