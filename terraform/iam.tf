################################################################################
# Lambda execution roles: one per function, least privilege
#
# Each role may make exactly the AWS calls its function's code makes
# (tests/terraform/test_iam.py scans the code and checks every call against
# these policies and every action against the AWS Service Authorization
# Reference), plus what the Lambda service does with the role: write the
# function's logs, send X-Ray segments and manage the network interfaces of a
# function in a VPC.
################################################################################

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "lambda" {
  for_each = local.function_names

  name               = "${each.value}-lambda"
  description        = "Execution role of ${each.value}"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

################################################################################
# What the Lambda service needs from every execution role
################################################################################

data "aws_iam_policy_document" "lambda_base" {
  #checkov:skip=CKV_AWS_111:The ENI statement is AWSLambdaVPCAccessExecutionRole's own; Lambda validates it at function creation and AWS documents it with Resource "*"
  #checkov:skip=CKV_AWS_356:The ENI statement is AWSLambdaVPCAccessExecutionRole's own; Lambda validates it at function creation and AWS documents it with Resource "*"
  for_each = local.function_names

  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${each.value}:*"]
  }

  # X-Ray has no resource-level permissions: "*" is the only valid resource.
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
  statement {
    sid       = "XRayTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  # Exactly the EC2 part of the AWS managed policy AWSLambdaVPCAccessExecutionRole:
  # Lambda checks these when it creates or updates a function in a VPC and
  # needs them on every network interface it manages.
  # https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html
  # https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html
  statement {
    sid = "LambdaVpcNetworkInterfaces"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "base" {
  for_each = local.function_names

  name   = "logs-xray-vpc"
  role   = aws_iam_role.lambda[each.key].name
  policy = data.aws_iam_policy_document.lambda_base[each.key].json
}

################################################################################
# What each function's code calls
################################################################################

locals {
  # Secrets Manager and S3 use the stack key on the caller's behalf, with the
  # caller's permissions: kms:ViaService limits each grant to that path.
  # https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
  # https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
  via_secretsmanager = "secretsmanager.${local.region}.amazonaws.com"
  via_s3             = "s3.${local.region}.amazonaws.com"
}

data "aws_iam_policy_document" "api" {
  statement {
    sid       = "ReadAppSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.app.arn]
  }

  statement {
    sid       = "DecryptAppSecretThroughSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.this.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_secretsmanager]
    }
  }

  # SSE-KMS with a bucket key: the encryption context is the bucket's ARN.
  # Uploads need a data key; presigned downloads (signed with this role)
  # need Decrypt.
  statement {
    sid       = "ImageKeyThroughS3"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.this.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_s3]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:s3:arn"
      values   = [aws_s3_bucket.images.arn, "${aws_s3_bucket.images.arn}/*"]
    }
  }

  # Presigned GET URLs are signed with this role: it must be able to read.
  statement {
    sid       = "ImageObjects"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.images.arn}/*"]
  }
}

data "aws_iam_policy_document" "migrate" {
  statement {
    sid       = "ReadBothSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.app.arn, local.master_secret_arn]
  }

  statement {
    sid       = "SetFirstAppPassword"
    actions   = ["secretsmanager:PutSecretValue"]
    resources = [aws_secretsmanager_secret.app.arn]
  }

  # A stale AWSPENDING (the rotation configuration's test copy of a secret without a
  # password, or an abandoned rotation) blocks every later rotation: the job finds and
  # releases it (service/jobs/appsecret.py, release_stale_pending).
  statement {
    sid       = "ReleaseStalePendingVersion"
    actions   = ["secretsmanager:ListSecretVersionIds", "secretsmanager:UpdateSecretVersionStage"]
    resources = [aws_secretsmanager_secret.app.arn]
  }

  # GetRandomPassword acts on no resource: "*" is the only valid resource.
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html
  statement {
    sid       = "GeneratePassword"
    actions   = ["secretsmanager:GetRandomPassword"]
    resources = ["*"]
  }

  statement {
    sid       = "StackKeyThroughSecretsManager"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_secretsmanager]
    }
  }
}

data "aws_iam_policy_document" "rotate" {
  statement {
    sid       = "ReadBothSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.app.arn, local.master_secret_arn]
  }

  statement {
    sid = "RotateAppSecret"
    actions = [
      "secretsmanager:DescribeSecret",
      "secretsmanager:PutSecretValue",
      "secretsmanager:UpdateSecretVersionStage",
    ]
    resources = [aws_secretsmanager_secret.app.arn]
  }

  # GetRandomPassword acts on no resource: "*" is the only valid resource.
  statement {
    sid       = "GeneratePassword"
    actions   = ["secretsmanager:GetRandomPassword"]
    resources = ["*"]
  }

  statement {
    sid       = "StackKeyThroughSecretsManager"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_secretsmanager]
    }
  }
}

locals {
  app_policies = {
    api     = data.aws_iam_policy_document.api.json
    migrate = data.aws_iam_policy_document.migrate.json
    rotate  = data.aws_iam_policy_document.rotate.json
  }
}

resource "aws_iam_role_policy" "app" {
  for_each = local.function_names

  name   = "app"
  role   = aws_iam_role.lambda[each.key].name
  policy = local.app_policies[each.key]
}

################################################################################
# Addresses before the roles became a for_each map
################################################################################

moved {
  from = aws_iam_role.api
  to   = aws_iam_role.lambda["api"]
}

moved {
  from = aws_iam_role.migrate
  to   = aws_iam_role.lambda["migrate"]
}

moved {
  from = aws_iam_role.rotate
  to   = aws_iam_role.lambda["rotate"]
}

moved {
  from = aws_iam_role_policy.api_base
  to   = aws_iam_role_policy.base["api"]
}

moved {
  from = aws_iam_role_policy.migrate_base
  to   = aws_iam_role_policy.base["migrate"]
}

moved {
  from = aws_iam_role_policy.rotate_base
  to   = aws_iam_role_policy.base["rotate"]
}

moved {
  from = aws_iam_role_policy.api
  to   = aws_iam_role_policy.app["api"]
}

moved {
  from = aws_iam_role_policy.migrate
  to   = aws_iam_role_policy.app["migrate"]
}

moved {
  from = aws_iam_role_policy.rotate
  to   = aws_iam_role_policy.app["rotate"]
}
