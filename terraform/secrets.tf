################################################################################
# Application database secret and its rotation
#
# Terraform writes the connection facts only: no password ever enters the
# state. On the first release the migration job generates the password
# (GetRandomPassword), creates the MySQL user `app` and stores the password as
# the new AWSCURRENT version. From then on the rotation function rotates it
# every 7 days, alternating the users `app` / `app_clone`.
#
# The master secret is managed by RDS (aws_rds_cluster.this.master_user_secret).
################################################################################

locals {
  # Custom staging label of the bootstrap version. A version that keeps a
  # label is never deprecated, so Secrets Manager never deletes it and the
  # provider never drops it from the state and re-creates it.
  secret_bootstrap_stage = "TERRAFORM_BOOTSTRAP"
}

resource "aws_secretsmanager_secret" "app" {
  name_prefix             = "${local.name}/db/app-"
  description             = "${local.name}: application database user (rotated every 7 days)"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.secret_recovery_window_days
}

# The first version of a secret gets AWSCURRENT from Secrets Manager itself
# (PutSecretValue: "If this operation creates the first version for the
# secret, then Secrets Manager automatically attaches the staging label
# AWSCURRENT to it"). Asking only for the custom label means that a later
# re-creation (lost state, a label removed by hand) adds a labelled version
# and moves nothing: a rotated password is never replaced by this value.
# https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
# Why not the default stages: once rotations leave this version without a
# label, Secrets Manager deletes it and the provider re-creates it as
# AWSCURRENT (https://github.com/hashicorp/terraform-provider-aws/issues/37302).
resource "aws_secretsmanager_secret_version" "app_initial" {
  secret_id      = aws_secretsmanager_secret.app.id
  version_stages = [local.secret_bootstrap_stage]
  secret_string = jsonencode({
    engine   = "mysql"
    host     = aws_rds_cluster.this.endpoint
    port     = local.db_port
    dbname   = var.db_name
    username = "app"
  })

  lifecycle {
    # AWSCURRENT comes and goes with the migration job and the rotations;
    # Terraform must not roll it back (nor see drift).
    ignore_changes = [secret_string, version_stages]
  }
}

# Secrets Manager invokes the rotation function through its `live` alias, so
# new rotation code only runs after the release pipeline promoted it.
resource "aws_secretsmanager_secret_rotation" "app" {
  secret_id           = aws_secretsmanager_secret.app.id
  rotation_lambda_arn = aws_lambda_alias.live["rotate"].arn
  # The first password is set by the migration job on the first release. Even
  # without an immediate rotation, Secrets Manager runs testSecret on a
  # pending copy of the current (password-less) value when rotation is
  # configured; the rotation function accepts that.
  rotate_immediately = false

  rotation_rules {
    automatically_after_days = 7
  }

  # Everything that step needs must exist first: the function's permissions,
  # the network path to Secrets Manager and to the database, the database.
  depends_on = [
    aws_lambda_permission.rotate_from_secretsmanager,
    aws_secretsmanager_secret_version.app_initial,
    aws_iam_role_policy.base["rotate"],
    aws_iam_role_policy.app["rotate"],
    aws_vpc_endpoint.secretsmanager,
    aws_vpc_security_group_egress_rule.lambda_to_database,
    aws_vpc_security_group_egress_rule.lambda_to_endpoints,
    aws_vpc_security_group_ingress_rule.database_from_lambda,
    aws_vpc_security_group_ingress_rule.endpoints_from_lambda,
    aws_rds_cluster_instance.this,
  ]
}

resource "aws_lambda_permission" "rotate_from_secretsmanager" {
  statement_id   = "AllowSecretsManagerRotation"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this["rotate"].function_name
  qualifier      = aws_lambda_alias.live["rotate"].name
  principal      = "secretsmanager.amazonaws.com"
  source_arn     = aws_secretsmanager_secret.app.arn
  source_account = local.account_id
}
