################################################################################
# GitHub Actions deploys through OIDC (no long-lived access keys)
#
# One deploy role per environment: it trusts only this repository's jobs in
# the GitHub environment of the same name (and, when github_allow_main_branch
# is true, jobs on its main branch without an environment). It may only make
# the calls `python -m deploy` makes: update the functions' code, publish
# versions, invoke the new migration and API versions, move the `live`
# aliases (and roll them back), read the functions and their logs.
################################################################################

locals {
  github_oidc_host         = "token.actions.githubusercontent.com"
  create_github_oidc       = var.github_oidc_provider_arn == null
  github_oidc_provider_arn = local.create_github_oidc ? aws_iam_openid_connect_provider.github[0].arn : var.github_oidc_provider_arn

  github_environment = coalesce(var.github_environment, var.environment)
  github_subjects = concat(
    ["repo:${var.github_repository}:environment:${local.github_environment}"],
    var.github_allow_main_branch ? ["repo:${var.github_repository}:ref:refs/heads/main"] : [],
  )
}

# One per account: the first environment's stack creates it, the second one
# passes its ARN in github_oidc_provider_arn.
# GitHub's certificate is trusted through AWS's own CA list; no thumbprint needed.
resource "aws_iam_openid_connect_provider" "github" {
  count = local.create_github_oidc ? 1 : 0

  url            = "https://${local.github_oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
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
  description          = "GitHub Actions release steps for ${var.github_repository} (${local.github_environment})"
  assume_role_policy   = data.aws_iam_policy_document.deploy_assume.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "deploy" {
  # UpdateFunctionCode, PublishVersion, ListVersionsByFunction, GetAlias and
  # UpdateAlias are authorized against the function itself (the unqualified
  # ARN), never against a version or alias ARN; GetFunction,
  # GetFunctionConfiguration and Invoke take a Qualifier and are authorized
  # against the qualified ARN when one is given.
  # https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html
  statement {
    sid = "ReleaseCode"
    actions = [
      "lambda:UpdateFunctionCode",
      "lambda:PublishVersion",
      "lambda:GetFunction", # the function_active / function_updated waiters
    ]
    resources = values(local.function_arns)
  }

  # Runtime and architecture checks, `status`, and waiting until a new version is Active.
  statement {
    sid       = "ReadFunctionsAndVersions"
    actions   = ["lambda:GetFunctionConfiguration"]
    resources = flatten([for arn in values(local.function_arns) : [arn, "${arn}:*"]])
  }

  # `python -m deploy invoke migrate` finds the job's newest version.
  statement {
    sid       = "ListMigrationJobVersions"
    actions   = ["lambda:ListVersionsByFunction"]
    resources = [local.function_arns.migrate]
  }

  statement {
    sid       = "MoveLiveAliases"
    actions   = ["lambda:GetAlias", "lambda:UpdateAlias"]
    resources = [for key in local.aliased_functions : local.function_arns[key]]
  }

  # The migration job's new version (migrate) and the API's new version
  # (the /healthz probe before promote), by version number.
  statement {
    sid       = "InvokeNewVersions"
    actions   = ["lambda:InvokeFunction"]
    resources = ["${local.function_arns.migrate}:*", "${local.function_arns.api}:*"]
  }

  # `python -m deploy logs`. CloudWatch Logs authorizes it against the
  # log group ARN with its ":*" suffix.
  statement {
    sid       = "ReadFunctionLogs"
    actions   = ["logs:FilterLogEvents"]
    resources = [for name in values(local.function_names) : "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${name}:*"]
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
  role   = aws_iam_role.deploy.name
  policy = data.aws_iam_policy_document.deploy.json
}
