################################################################################
# GitHub Actions deploys through OIDC (no long-lived access keys)
#
# The role trusts only this repository's deploy environment (and, when
# github_allow_main_branch is true, jobs on its main branch without an
# environment). It may only run the release steps of CONTRACT.md: update the
# functions' code, wait for it, invoke the migration job, publish a version,
# move the `live` alias (and roll it back).
################################################################################

locals {
  github_oidc_host         = "token.actions.githubusercontent.com"
  create_github_oidc       = var.github_oidc_provider_arn == null
  github_oidc_provider_arn = local.create_github_oidc ? aws_iam_openid_connect_provider.github[0].arn : var.github_oidc_provider_arn

  github_subjects = concat(
    ["repo:${var.github_repository}:environment:${var.github_environment}"],
    var.github_allow_main_branch ? ["repo:${var.github_repository}:ref:refs/heads/main"] : [],
  )

  function_arns = {
    for key, name in local.function_names :
    key => "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${name}"
  }
}

# One per account: pass github_oidc_provider_arn when it already exists.
# GitHub's certificate is trusted through AWS's own CA list; no thumbprint needed.
resource "aws_iam_openid_connect_provider" "github" {
  count = local.create_github_oidc ? 1 : 0

  url            = "https://${local.github_oidc_host}"
  client_id_list = ["sts.amazonaws.com"]

  tags = local.tags
}

data "aws_iam_policy_document" "deploy_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = local.github_subjects
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = "${local.name}-github-deploy"
  description          = "GitHub Actions release steps for ${var.github_repository}"
  assume_role_policy   = data.aws_iam_policy_document.deploy_assume.json
  max_session_duration = 3600

  tags = local.tags
}

data "aws_iam_policy_document" "deploy" {
  statement {
    sid = "UpdateAndPublishCode"
    actions = [
      "lambda:UpdateFunctionCode",
      "lambda:GetFunction",
      "lambda:GetFunctionConfiguration",
      "lambda:PublishVersion",
    ]
    # Unqualified and qualified (version) ARNs of the three functions.
    resources = flatten([for arn in values(local.function_arns) : [arn, "${arn}:*"]])
  }

  statement {
    sid       = "MoveLiveAlias"
    actions   = ["lambda:GetAlias", "lambda:UpdateAlias"]
    resources = [aws_lambda_alias.live.arn]
  }

  statement {
    sid       = "RunMigrations"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.function_arns.migrate, "${local.function_arns.migrate}:*"]
  }

  dynamic "statement" {
    for_each = var.deploy_state_object_arn != null ? [1] : []

    content {
      sid       = "ReadTerraformOutputs"
      actions   = ["s3:GetObject"]
      resources = [var.deploy_state_object_arn]
    }
  }
}

resource "aws_iam_role_policy" "deploy" {
  name   = "release"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}
