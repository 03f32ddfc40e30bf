#!/usr/bin/env bash
# `terraform init` against the S3 state backend, for terraform.yml (run in terraform/).
#
# terraform/versions.tf keeps its backend "s3" block commented out, so that the
# configuration also works locally without a state bucket. Here an override file
# declares the backend, and ci.backend.hcl fills it in from the workflow's variables
# (docs/deploying.md):
#   TF_STATE_BUCKET  (required)  state bucket, versioned
#   TF_STATE_KEY     (required)  this environment's state object key
#   TF_STATE_REGION  (optional)  the bucket's region; default AWS_REGION
#   TF_STATE_KMS_KEY_ID (optional) KMS key for the state object (else SSE-S3)
# Locking: use_lockfile=true (S3-native lock object, no DynamoDB table).
# With --backend-from-plan (the apply job) it uses the ci.backend.hcl that came with
# the saved plan instead, so the plan is applied to the state it was made from.
#
# It also writes TERRAFORM_TFVARS (the content of a tfvars file, if set) to
# ci.auto.tfvars. The Lambda zip (../build/lambda.zip, `python -m deploy package`) must
# exist: Terraform hashes it at plan time, and creating the rotation schedule invokes
# the rotation function at apply time. Other arguments are passed on to `terraform init`.
set -euo pipefail

if [ "${1:-}" = "--backend-from-plan" ]; then
  shift
  if [ ! -f ci.backend.hcl ]; then
    echo "ci.backend.hcl not found: it comes with the saved plan (terraform.yml's plan job)" >&2
    exit 1
  fi
else
  : "${TF_STATE_BUCKET:?set the repository variable TF_STATE_BUCKET (see docs/deploying.md)}"
  : "${TF_STATE_KEY:?set TF_STATE_KEY_<ENVIRONMENT> for this environment (see docs/deploying.md)}"
  region="${TF_STATE_REGION:-${AWS_REGION:-}}"
  : "${region:?set the repository variable TF_STATE_REGION or AWS_REGION}"
  quote() { local value="${1//\\/\\\\}"; printf '"%s"' "${value//\"/\\\"}"; }
  {
    echo "# Written by .github/scripts/terraform-init.sh"
    echo "bucket       = $(quote "$TF_STATE_BUCKET")"
    echo "key          = $(quote "$TF_STATE_KEY")"
    echo "region       = $(quote "$region")"
    echo "encrypt      = true"
    echo "use_lockfile = true"
    if [ -n "${TF_STATE_KMS_KEY_ID:-}" ]; then
      echo "kms_key_id   = $(quote "$TF_STATE_KMS_KEY_ID")"
    fi
  } > ci.backend.hcl
fi

cat > ci_backend_override.tf <<'HCL'
# Written by .github/scripts/terraform-init.sh; settings come from ci.backend.hcl.
terraform {
  backend "s3" {}
}
HCL

if [ -n "${TERRAFORM_TFVARS:-}" ]; then
  printf '%s\n' "$TERRAFORM_TFVARS" > ci.auto.tfvars
fi

if [ ! -f ../build/lambda.zip ]; then
  echo "../build/lambda.zip not found: build it first (python -m deploy package)" >&2
  exit 1
fi

terraform init -input=false -backend-config=ci.backend.hcl "$@"
