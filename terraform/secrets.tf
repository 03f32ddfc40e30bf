################################################################################
# Application database secret and its rotation
#
# Terraform writes the connection facts only: no password ever enters the
# state. On the first deploy the migration job generates the password
# (GetRandomPassword), creates the MySQL user `app` and stores the password as
# the new AWSCURRENT version. From then on our rotation function rotates it
# every 7 days, alternating the users `app` / `app_clone`.
#
# The master secret is managed by RDS (aws_rds_cluster.this.master_user_secret).
################################################################################

resource "aws_secretsmanager_secret" "app" {
  name_prefix             = "${local.name}/db/app-"
  description             = "${local.name}: application database user (rotated every 7 days)"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.secret_recovery_window_days

  tags = local.tags
}

resource "aws_secretsmanager_secret_version" "app_initial" {
  secret_id = aws_secretsmanager_secret.app.id
  secret_string = jsonencode({
    engine   = "mysql"
    host     = aws_rds_cluster.this.endpoint
    port     = local.db_port
    dbname   = var.db_name
    username = "app"
  })

  lifecycle {
    # After the first deploy the migration job and the rotation own the
    # secret's versions; Terraform must not roll them back (nor see drift).
    ignore_changes = [secret_string, version_stages]
  }
}

resource "aws_secretsmanager_secret_rotation" "app" {
  secret_id           = aws_secretsmanager_secret.app.id
  rotation_lambda_arn = aws_lambda_function.rotate.arn
  # The first password is set by the migration job on the first deploy; an
  # immediate rotation would find no password to rotate.
  rotate_immediately = false

  rotation_rules {
    automatically_after_days = 7
  }

  depends_on = [
    aws_lambda_permission.rotate_from_secretsmanager,
    aws_secretsmanager_secret_version.app_initial,
  ]
}

resource "aws_lambda_permission" "rotate_from_secretsmanager" {
  statement_id   = "AllowSecretsManagerRotation"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.rotate.function_name
  principal      = "secretsmanager.amazonaws.com"
  source_arn     = aws_secretsmanager_secret.app.arn
  source_account = local.account_id
}
