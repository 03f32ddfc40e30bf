"""Cross-checks between the code (CONTRACT.md, service/) and terraform/."""

from __future__ import annotations

import re

import pytest

from tests.terraform import contract
from tests.terraform.conftest import REPO_ROOT
from tests.terraform.harness import codescan, tfconfig

SERVICE_DIR = REPO_ROOT / "service"
_LOCAL_REF = re.compile(r"^\$\{local\.(\w+)\}$")


def function_env(cfg: tfconfig.Config, function: str) -> set[str]:
    """Names of the environment variables Terraform sets on a function."""
    variables = cfg.resource(f"aws_lambda_function.{function}")["environment"][0]["variables"]
    if isinstance(variables, str) and (m := _LOCAL_REF.match(variables)):
        variables = cfg.locals[m.group(1)]
    assert isinstance(variables, dict), (
        f"{function}: environment must be a literal map: {variables!r}"
    )
    return set(variables)


def granted(cfg: tfconfig.Config) -> dict[str, set[str]]:
    """Allowed actions per role (resource name of the aws_iam_role)."""
    return {
        role: {a for st in statements if st.effect == "Allow" for a in st.actions}
        for role, statements in tfconfig.role_statements(cfg).items()
    }


def iam_problems(cfg: tfconfig.Config) -> list[str]:
    """Contract actions missing from a role, or granted beyond it without a documented reason."""
    problems = tfconfig.wildcard_action_problems(cfg)
    actions = granted(cfg)
    for role, needed in contract.ACTIONS.items():
        have = actions.get(role, set())
        problems += [f"role {role}: missing {a}" for a in sorted(needed - have)]
        platform = contract.PLATFORM_ACTIONS if role != "deploy" else set()
        extra = have - needed - platform - {a for (r, a) in contract.EXTRA_ACTIONS if r == role}
        problems += [f"role {role}: {a} is not in the contract" for a in sorted(extra)]
    return problems


################################################################################
# Handlers
################################################################################


def test_functions_use_the_contract_handlers(tf_config):
    handlers = {
        name: body["handler"] for name, body in tf_config.resources["aws_lambda_function"].items()
    }

    assert handlers == contract.HANDLERS


def test_functions_run_under_their_own_role(tf_config):
    roles = {
        name: body["role"] for name, body in tf_config.resources["aws_lambda_function"].items()
    }

    assert roles == {name: f"${{aws_iam_role.{name}.arn}}" for name in contract.HANDLERS}


@pytest.mark.parametrize("function", sorted(contract.HANDLERS))
def test_handler_exists_in_the_package(tf_config, function):
    if not (SERVICE_DIR / "__init__.py").is_file():
        pytest.skip("service/ is not in this tree yet (runtime branch not merged)")
    handler = tf_config.resource(f"aws_lambda_function.{function}")["handler"]
    module, _, attr = handler.rpartition(".")

    path = codescan.module_path(REPO_ROOT, module)

    assert path is not None, f"{handler}: no module {module} in the repository"
    assert attr in codescan.module_level_names(path), f"{handler}: {path} defines no {attr}"


################################################################################
# Environment variables
################################################################################


@pytest.mark.parametrize("function", sorted(contract.HANDLERS))
def test_function_env_is_exactly_the_contract_set(tf_config, function):
    expected = contract.ENV[function]

    assert function_env(tf_config, function) == set(expected)


def test_no_local_only_variable_on_lambda(tf_config):
    for function in contract.HANDLERS:
        assert function_env(tf_config, function) & contract.LOCAL_ONLY_ENV == set(), function


def test_every_variable_the_code_reads_is_set_by_terraform(tf_config):
    all_set = set().union(*(function_env(tf_config, f) for f in contract.HANDLERS))
    allowed = all_set | contract.LOCAL_ONLY_ENV | contract.LAMBDA_RUNTIME_ENV

    unset = {
        path: sorted(names - allowed)
        for path, names in codescan.env_reads(SERVICE_DIR).items()
        if names - allowed
    }

    assert unset == {}


def test_no_password_in_environment_or_secret_version(tf_config):
    for function in contract.HANDLERS:
        assert not any("PASSWORD" in n for n in function_env(tf_config, function))
    initial = tf_config.resource("aws_secretsmanager_secret_version.app_initial")["secret_string"]
    keys = set(re.findall(r"(\w+)\s*=", initial))

    # CONTRACT.md: {"engine","host","port","dbname","username":"app"}, no password.
    assert keys == {"engine", "host", "port", "dbname", "username"}, initial
    assert re.search(r'username\s*=\s*"app"', initial), initial


################################################################################
# VPC endpoints for every AWS service the code calls
################################################################################


def test_every_called_service_has_a_vpc_endpoint_or_a_reason(tf_config):
    called = set(contract.SERVICES)
    for services in codescan.boto3_services(SERVICE_DIR).values():
        called |= services
    endpoints = {
        body["service_name"].rsplit(".", 1)[-1]
        for body in tf_config.resources["aws_vpc_endpoint"].values()
    }

    missing = called - endpoints - set(contract.NO_ENDPOINT_NEEDED)

    assert missing == set(), f"no VPC endpoint (and no NAT): {sorted(missing)}"


def test_secretsmanager_endpoint_is_private_and_open_to_functions_only(tf_config):
    endpoint = tf_config.resource("aws_vpc_endpoint.secretsmanager")
    ingress = tf_config.resources["aws_vpc_security_group_ingress_rule"]
    to_endpoints = [
        r
        for r in ingress.values()
        if r["security_group_id"] == "${aws_security_group.endpoints.id}"
    ]

    assert endpoint["vpc_endpoint_type"] == "Interface"
    assert endpoint["private_dns_enabled"] is True
    assert endpoint["security_group_ids"] == ["${aws_security_group.endpoints.id}"]
    assert [
        (r["from_port"], r["to_port"], r["referenced_security_group_id"]) for r in to_endpoints
    ] == [(443, 443, "${aws_security_group.lambda.id}")]


def test_database_reachable_only_from_functions(tf_config):
    ingress = tf_config.resources["aws_vpc_security_group_ingress_rule"]
    to_db = [
        r for r in ingress.values() if r["security_group_id"] == "${aws_security_group.database.id}"
    ]

    assert [
        (r["from_port"], r["to_port"], r.get("referenced_security_group_id")) for r in to_db
    ] == [("${local.db_port}", "${local.db_port}", "${aws_security_group.lambda.id}")]
    assert tf_config.locals["db_port"] == 3306


def test_s3_endpoint_policy_is_limited_to_the_image_bucket(tf_config):
    doc = tf_config.data_source("aws_iam_policy_document.s3_endpoint")
    resources = {r for st in doc["statement"] for r in st["resources"]}

    assert (
        tf_config.resource("aws_vpc_endpoint.s3")["policy"]
        == "${data.aws_iam_policy_document.s3_endpoint.json}"
    )
    assert resources == {"${aws_s3_bucket.images.arn}/*"}


def test_no_internet_or_nat_gateway(tf_config):
    forbidden = {
        "aws_internet_gateway",
        "aws_nat_gateway",
        "aws_egress_only_internet_gateway",
        "aws_eip",
    }

    assert forbidden & set(tf_config.resources) == set()


################################################################################
# IAM: every action the code needs, nothing else, no wildcard actions
################################################################################


def test_iam_grants_the_contract_actions_and_no_more(tf_config):
    assert iam_problems(tf_config) == []


def test_star_resources_only_where_iam_has_no_resource_level_permissions(tf_config):
    offending = [
        f"{role}: {st.sid} {a}"
        for role, statements in tfconfig.role_statements(tf_config).items()
        for st in statements
        if "*" in st.resources
        for a in st.actions
        if a not in contract.STAR_RESOURCE_ACTIONS
    ]

    assert offending == []


def test_api_reads_only_the_app_secret(tf_config):
    api = tfconfig.role_statements(tf_config)["api"]
    secret_resources = {
        r
        for st in api
        if any(a.startswith("secretsmanager:") for a in st.actions)
        for r in st.resources
    }

    assert secret_resources == {"${aws_secretsmanager_secret.app.arn}"}


def test_deploy_role_invokes_only_the_migration_job(tf_config):
    deploy = tfconfig.role_statements(tf_config)["deploy"]
    invoke = {r for st in deploy if "lambda:InvokeFunction" in st.actions for r in st.resources}

    assert invoke == {"${local.function_arns.migrate}", "${local.function_arns.migrate}:*"}


################################################################################
# A broken copy must fail
################################################################################


@pytest.mark.parametrize(
    ("edits", "problem"),
    [
        pytest.param(
            {
                "iam.tf": [
                    (
                        '    sid       = "ReadAppSecret"\n'
                        '    actions   = ["secretsmanager:GetSecretValue"]',
                        '    sid       = "ReadAppSecret"\n    actions   = ["secretsmanager:Get*"]',
                    )
                ]
            },
            "role api (api/ReadAppSecret): wildcard action secretsmanager:Get*",
            id="wildcard-action",
        ),
        pytest.param(
            {
                "iam.tf": [
                    (
                        'actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]',
                        'actions   = ["s3:*"]',
                    )
                ]
            },
            "role api (api/ImageObjects): wildcard action s3:*",
            id="service-wildcard-action",
        ),
        pytest.param(
            {
                "github.tf": [
                    (
                        '    actions   = ["lambda:InvokeFunction"]\n',
                        '    actions   = ["lambda:GetFunction"]\n',
                    )
                ]
            },
            "role deploy: missing lambda:InvokeFunction",
            id="missing-contract-action",
        ),
        pytest.param(
            {
                "iam.tf": [
                    (
                        '"secretsmanager:UpdateSecretVersionStage",',
                        '"secretsmanager:UpdateSecretVersionStage",\n'
                        '      "secretsmanager:DeleteSecret",',
                    )
                ]
            },
            "role rotate: secretsmanager:DeleteSecret is not in the contract",
            id="action-beyond-contract",
        ),
    ],
)
def test_iam_check_fails_on_broken_copy(tf_copy, edits, problem):
    broken = tfconfig.load(tf_copy(edits))

    assert problem in iam_problems(broken)


def test_env_check_fails_on_missing_variable(tf_copy):
    broken = tfconfig.load(
        tf_copy(
            {
                "lambda.tf": [
                    (
                        "    IMAGE_URL_EXPIRES            ="
                        " tostring(var.image_url_expires_seconds)\n",
                        "",
                    )
                ]
            }
        )
    )

    assert function_env(broken, "api") != set(contract.ENV["api"])
    assert contract.ENV["api"] - function_env(broken, "api") == {"IMAGE_URL_EXPIRES"}


def test_codescan_sees_handlers_env_reads_and_clients(tmp_path):
    # The real checks above scan service/; prove the scanner finds (and misses) what it should.
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
    )
    (pkg / "rotate.py").write_text("def handler(event, context):\n    return None\n")

    migrate = codescan.module_path(tmp_path, "service.jobs.migrate")

    assert "handler" not in codescan.module_level_names(migrate)
    assert "handler" in codescan.module_level_names(
        codescan.module_path(tmp_path, "service.jobs.rotate")
    )
    assert codescan.module_path(tmp_path, "service.lambda_handler") is None
    assert codescan.env_reads(tmp_path / "service") == {
        str(migrate): {"DB_HOST", "DB_PORT", "NEW_VAR"}
    }
    assert codescan.boto3_services(tmp_path / "service") == {
        str(migrate): {"secretsmanager", "sqs"}
    }
