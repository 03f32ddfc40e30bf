################################################################################
# Lambda execution roles: one per function, least privilege
#
# The application actions follow CONTRACT.md "AWS calls the code makes". Each
# role also gets what every function needs: its own log group, X-Ray segments
# (tracing is Active) and the ENI actions of a function in a VPC.
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

resource "aws_iam_role" "api" {
  name               = "${local.function_names.api}-lambda"
  description        = "Execution role of the API function"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json

  tags = local.tags
}

resource "aws_iam_role" "migrate" {
  name               = "${local.function_names.migrate}-lambda"
  description        = "Execution role of the migration job"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json

  tags = local.tags
}

resource "aws_iam_role" "rotate" {
  name               = "${local.function_names.rotate}-lambda"
  description        = "Execution role of the secret rotation function"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json

  tags = local.tags
}

################################################################################
# Shared by the three functions: logs, X-Ray, VPC network interfaces
################################################################################

data "aws_iam_policy_document" "lambda_base" {
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

  # Describe* calls have no resource-level permissions: "*" is the only valid resource.
  statement {
    sid = "DescribeNetworkInterfaces"
    actions = [
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
    ]
    resources = ["*"]
  }

  # Network interfaces only in this VPC's private subnets with the functions' group.
  # https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html
  statement {
    sid     = "CreateNetworkInterfacesInThisVpc"
    actions = ["ec2:CreateNetworkInterface"]
    resources = concat(
      ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*"],
      aws_subnet.private[*].arn,
      [aws_security_group.lambda.arn],
    )
  }

  statement {
    sid = "ManageOwnNetworkInterfaces"
    actions = [
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*"]

    condition {
      test     = "ArnEquals"
      variable = "ec2:Vpc"
      values   = [aws_vpc.this.arn]
    }
  }
}

resource "aws_iam_role_policy" "api_base" {
  name   = "logs-xray-vpc"
  role   = aws_iam_role.api.id
  policy = data.aws_iam_policy_document.lambda_base["api"].json
}

resource "aws_iam_role_policy" "migrate_base" {
  name   = "logs-xray-vpc"
  role   = aws_iam_role.migrate.id
  policy = data.aws_iam_policy_document.lambda_base["migrate"].json
}

resource "aws_iam_role_policy" "rotate_base" {
  name   = "logs-xray-vpc"
  role   = aws_iam_role.rotate.id
  policy = data.aws_iam_policy_document.lambda_base["rotate"].json
}

################################################################################
# API function
################################################################################

data "aws_iam_policy_document" "api" {
  statement {
    sid       = "ReadAppSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.app.arn]
  }

  statement {
    sid       = "DecryptWithStackKey"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.this.arn]
  }

  # SSE-KMS uploads need a data key; only through S3, only for this bucket.
  statement {
    sid       = "EncryptImagesThroughS3"
    actions   = ["kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
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

resource "aws_iam_role_policy" "api" {
  name   = "app"
  role   = aws_iam_role.api.id
  policy = data.aws_iam_policy_document.api.json
}

################################################################################
# Migration job
################################################################################

data "aws_iam_policy_document" "migrate" {
  statement {
    sid       = "ReadBothSecrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [aws_secretsmanager_secret.app.arn, local.master_secret_arn]
  }

  statement {
    sid       = "SetFirstAppPassword"
    actions   = ["secretsmanager:PutSecretValue"]
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
    sid       = "UseStackKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
  }
}

resource "aws_iam_role_policy" "migrate" {
  name   = "app"
  role   = aws_iam_role.migrate.id
  policy = data.aws_iam_policy_document.migrate.json
}

################################################################################
# Rotation function
################################################################################

data "aws_iam_policy_document" "rotate" {
  statement {
    sid       = "ReadBothSecrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [aws_secretsmanager_secret.app.arn, local.master_secret_arn]
  }

  statement {
    sid = "RotateAppSecret"
    actions = [
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
    sid       = "UseStackKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
  }
}

resource "aws_iam_role_policy" "rotate" {
  name   = "app"
  role   = aws_iam_role.rotate.id
  policy = data.aws_iam_policy_document.rotate.json
}
