################################################################################
# Terraform and providers
################################################################################

terraform {
  # 1.10+: S3 backend native locking (use_lockfile); 1.11+: write-only arguments.
  required_version = ">= 1.11, < 2.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # The offline validation in tests/terraform serves the schema of aws 6.69.1
      # (the gzipped schema in tests/terraform/data/); keep the major in step.
      version = "~> 6.69"
    }
  }

  ##############################################################################
  # Remote state (recommended): an S3 bucket created once per account, see
  # README.md "First deploy". Copy this block without `key` to a git-ignored
  # backend.tf and give each environment its own state key:
  #   terraform init -backend-config="key=inventory-api/<environment>/terraform.tfstate"
  #
  # backend "s3" {
  #   bucket       = "<account-id>-terraform-state"
  #   region       = "eu-west-1"
  #   encrypt      = true
  #   kms_key_id   = "alias/terraform-state"
  #   use_lockfile = true # S3-native state locking (no DynamoDB table needed)
  # }
  ##############################################################################
}
