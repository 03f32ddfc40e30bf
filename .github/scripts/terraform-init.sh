#!/usr/bin/env bash
# `terraform init` against the S3 state backend, for terraform.yml (run in terraform/).
#
# terraform/versions.tf keeps its backend "s3" block commented out, so that the
# configuration also works locally without a state bucket. Here an override file
# declares the backend and -backend-config fills it in from repository variables:
#   TF_STATE_BUCKET  (required)  state bucket, versioned (docs/deploying.md)
#   TF_STATE_KEY     (required)  state object key, e.g. inventory-api/prod/terraform.tfstate
#   TF_STATE_REGION  (optional)  the bucket's region; default AWS_REGION
#   TF_STATE_KMS_KEY_ID (optional) KMS key for the state object (else SSE-S3)
# Locking: use_lockfile=true (S3-native lock object, no DynamoDB table).
#
# It also writes TERRAFORM_TFVARS (the content of a tfvars file, if set) to
# ci.auto.tfvars, and a placeholder build/lambda.zip when no package exists: Terraform
# hashes package_path at plan time but only uses the code when it creates the
# functions; afterwards the deploy workflow owns the code (ignore_changes).
# Extra arguments are passed on to `terraform init`.
set -euo pipefail

: "${TF_STATE_BUCKET:?set the repository variable TF_STATE_BUCKET (see docs/deploying.md)}"
: "${TF_STATE_KEY:?set the repository variable TF_STATE_KEY (see docs/deploying.md)}"
region="${TF_STATE_REGION:-${AWS_REGION:-}}"
: "${region:?set the repository variable TF_STATE_REGION or AWS_REGION}"

cat > ci_backend_override.tf <<'HCL'
# Written by .github/scripts/terraform-init.sh; settings come from -backend-config.
terraform {
  backend "s3" {}
}
HCL

if [ -n "${TERRAFORM_TFVARS:-}" ]; then
  printf '%s\n' "$TERRAFORM_TFVARS" > ci.auto.tfvars
fi

if [ ! -f ../build/lambda.zip ]; then
  # Byte-identical every time (stored, fixed timestamp), so a plan made in one job
  # applies in another.
  mkdir -p ../build
  python3 - <<'PY'
import zipfile

info = zipfile.ZipInfo("PLACEHOLDER.txt", date_time=(1980, 1, 1, 0, 0, 0))
info.external_attr = 0o644 << 16
with zipfile.ZipFile("../build/lambda.zip", "w", zipfile.ZIP_STORED) as archive:
    archive.writestr(info, "Placeholder: the deploy workflow publishes the real package.\n")
PY
fi

backend=(
  -backend-config="bucket=${TF_STATE_BUCKET}"
  -backend-config="key=${TF_STATE_KEY}"
  -backend-config="region=${region}"
  -backend-config="encrypt=true"
  -backend-config="use_lockfile=true"
)
if [ -n "${TF_STATE_KMS_KEY_ID:-}" ]; then
  backend+=(-backend-config="kms_key_id=${TF_STATE_KMS_KEY_ID}")
fi

terraform init -input=false "${backend[@]}" "$@"
