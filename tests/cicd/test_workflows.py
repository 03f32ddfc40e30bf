"""The workflows, parsed: the two-stage release (staging, then production with the same
zip), OIDC without keys, pins, permissions, timeouts, caches, artifacts, per-environment
Terraform, and the commands they run (the ones the README, the Makefile and
`python -m deploy` define). Each rule is a function returning problems, so the negative
tests can show it catches a broken copy. deploy.yml is checked with release.yml's jobs
inlined for each environment (tests/cicd/workflows.py `expanded`)."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from deploy.cli import build_parser
from tests.cicd.workflows import (
    NAMES,
    REPO,
    Step,
    called_workflow,
    commands,
    expanded,
    load,
    steps,
    uses_lines,
)

Workflow = dict[str, Any]
ENVIRONMENTS = ("staging", "production")
RELEASE_ORDER = ["publish", "migrate", "promote", "smoke"]
OIDC_JOBS = {("release.yml", "release"), ("terraform.yml", "plan"), ("terraform.yml", "apply")}
ACCESS_KEY = re.compile(
    r"aws[_-]?(secret[_-]?)?access[_-]?key|aws[_-]session[_-]token|secrets\.", re.IGNORECASE
)
CONFIGURE_AWS = "aws-actions/configure-aws-credentials"
RELEASE_VARIABLES = (
    "AWS_REGION",
    "API_FUNCTION_NAME",
    "MIGRATE_FUNCTION_NAME",
    "ROTATE_FUNCTION_NAME",
    "API_BASE_URL",
)


def _steps_of(name: str, workflow: Workflow) -> list[Step]:
    return list(steps(name, workflow))


def _action(step: Step) -> str | None:
    return step.uses.split("@", 1)[0] if step.uses else None


def _deploy_invocations(script: str) -> list[list[str]]:
    """The argument lists of every `python -m deploy ...` in a script."""
    return [
        cmd[3:]
        for cmd in commands(script)
        if cmd[:3] in (["python", "-m", "deploy"], ["python3", "-m", "deploy"])
    ]


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def _env_name(job: dict[str, Any]) -> str | None:
    environment = job.get("environment")
    return environment.get("name") if isinstance(environment, dict) else environment


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------


def hygiene_problems(name: str, workflow: Workflow) -> list[str]:
    """Permissions, timeouts, runners, checkout credentials, no `${{ }}` in scripts."""
    problems = []
    if workflow.get("permissions") != {}:
        problems.append(f"{name}: workflow-level permissions must be {{}}")
    for job_id, job in workflow["jobs"].items():
        where = f"{name}:{job_id}"
        if not isinstance(job.get("permissions"), dict):
            problems.append(f"{where}: no explicit permissions")
        for scope, level in (job.get("permissions") or {}).items():
            if level != "read" and (scope, level) != ("id-token", "write"):
                problems.append(f"{where}: permission {scope}: {level}")
        if "uses" in job:  # a reusable workflow call: no runner of its own
            continue
        if not isinstance(job.get("timeout-minutes"), int) or job["timeout-minutes"] <= 0:
            problems.append(f"{where}: no timeout-minutes")
        if str(job.get("runs-on", "")).endswith("-latest"):
            problems.append(f"{where}: runs-on must name an image version, not -latest")
    for step in _steps_of(name, workflow):
        if _action(step) == "actions/checkout" and (
            step.data.get("with", {}).get("persist-credentials") is not False
        ):
            problems.append(f"{step.where()}: checkout without persist-credentials: false")
        if step.run and "${{" in step.run:
            problems.append(f"{step.where()}: ${{{{ }}}} inside run:")
    return problems


def oidc_problems(name: str, workflow: Workflow) -> list[str]:
    """id-token: write exactly where configure-aws-credentials assumes a role (or on the
    call of a reusable workflow that does); roles from vars.*_ROLE_ARN; no keys."""
    problems = []
    for job_id, job in workflow["jobs"].items():
        where = f"{name}:{job_id}"
        writes_token = (job.get("permissions") or {}).get("id-token") == "write"
        called = called_workflow(job)
        if called is not None:
            needs_token = any((called, inner) in OIDC_JOBS for inner in load(called)["jobs"])
            if writes_token != needs_token:
                problems.append(f"{where}: id-token: write iff {called} assumes a role")
            continue
        configure = [s for s in _steps_of(name, workflow) if s.job_id == job_id]
        configure = [s for s in configure if _action(s) == CONFIGURE_AWS]
        if writes_token != ((name, job_id) in OIDC_JOBS):
            problems.append(f"{where}: id-token: write only on {sorted(OIDC_JOBS)}")
        if writes_token != bool(configure):
            problems.append(f"{where}: id-token: write iff configure-aws-credentials")
        for step in configure:
            inputs = step.data.get("with", {})
            role = inputs.get("role-to-assume", "")
            if not re.fullmatch(r"\$\{\{ vars\.[A-Z_]+_ROLE_ARN \}\}", role):
                problems.append(f"{step.where()}: role-to-assume must be vars.*_ROLE_ARN")
            if inputs.get("aws-region") != "${{ vars.AWS_REGION }}":
                problems.append(f"{step.where()}: aws-region must be vars.AWS_REGION")
            extra = set(inputs) - {
                "role-to-assume",
                "aws-region",
                "role-session-name",
                "role-duration-seconds",
            }
            if extra:
                problems.append(f"{step.where()}: unexpected inputs {sorted(extra)}")
    return problems


def access_key_problems(name: str, text: str) -> list[str]:
    return [
        f"{name}:{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), 1)
        if ACCESS_KEY.search(line)
    ]


def pin_problems(lines: list[tuple[str, int, str, str]]) -> list[str]:
    """Every third-party `uses:` is owner/repo@<40 hex> # vX.Y.Z, and one action is pinned
    to one commit everywhere (Dependabot moves them together). No table to maintain."""
    problems, seen = [], {}
    for name, number, ref, rest in lines:
        if ref.startswith(("$/", "./")):
            continue  # this repository's own reusable workflows: same commit as the caller
        action, _, sha = ref.partition("@")
        comment = re.fullmatch(r"\s+# (v\d+\.\d+\.\d+)\s*", rest)
        if not re.fullmatch(r"[0-9a-f]{40}", sha):
            problems.append(f"{name}:{number}: {ref} is not pinned to a full commit SHA")
        elif not comment:
            problems.append(f"{name}:{number}: {ref} has no '# vX.Y.Z' comment")
        else:
            pin = (sha, comment[1])
            first = seen.setdefault(action, (pin, f"{name}:{number}"))
            if first[0] != pin:
                problems.append(
                    f"{name}:{number}: {action}@{sha} # {comment[1]} differs from "
                    f"{first[1]} ({first[0][0]} # {first[0][1]})"
                )
    return problems


def deploy_problems(workflow: Workflow) -> list[str]:
    """deploy.yml (with release.yml inlined): triggers, one run at a time, build once,
    staging then production with the same zip, each in its environment."""
    problems = []
    on = workflow.get("on", {})
    if on.get("push") != {"branches": ["main"]} or "workflow_dispatch" not in on:
        problems.append("deploy.yml: triggers must be push to main and workflow_dispatch")
    if workflow.get("concurrency") != {"group": "deploy", "cancel-in-progress": False}:
        problems.append("deploy.yml: one run at a time: concurrency deploy, never cancelled")
    jobs = workflow["jobs"]
    for job_id, job in jobs.items():
        if "refs/heads/main" not in str(job.get("if", "")):
            problems.append(f"deploy.yml:{job_id}: must run on main only")
    build = jobs.get("build", {})
    built = [a for s in build.get("steps", []) for a in _deploy_invocations(s.get("run", ""))]
    if [a[0] for a in built] != ["package"]:
        problems.append("deploy.yml: the build job must run package, once")
    releases = {job_id: job for job_id, job in jobs.items() if "called_from" in job}
    by_environment = {_env_name(job): job_id for job_id, job in releases.items()}
    if sorted(by_environment, key=str) != sorted(ENVIRONMENTS):
        problems.append(f"deploy.yml: one release job per environment {ENVIRONMENTS}")
        return problems
    staging, production = by_environment["staging"], by_environment["production"]
    if "build" not in _needs(jobs[staging]):
        problems.append("deploy.yml: staging must need build")
    caller = staging.split(".")[0]
    if caller not in _needs(jobs[production]) or "build" not in _needs(jobs[production]):
        problems.append("deploy.yml: production must need build and staging")
    for env_name, job_id in by_environment.items():
        problems += _release_job_problems(f"deploy.yml:{job_id}", env_name, jobs[job_id])
    return problems


def _release_job_problems(where: str, env_name: str, job: dict[str, Any]) -> list[str]:
    """One environment's release job: its concurrency, the verified zip, the order."""
    problems = []
    if job.get("concurrency") != {"group": f"deploy-{env_name}", "cancel-in-progress": False}:
        problems.append(f"{where}: concurrency must be deploy-{env_name} without cancelling")
    env = job.get("env", {})
    if env.get("PACKAGE_SHA256") != "${{ needs.build.outputs.sha256 }}":
        problems.append(f"{where}: must verify the build job's sha256, nothing else")
    for variable in RELEASE_VARIABLES:
        if env.get(variable) != f"${{{{ vars.{variable} }}}}":
            problems.append(f"{where}: env {variable} must be ${{{{ vars.{variable} }}}}")
    job_steps = job.get("steps", [])
    sequence = [(a[0], s) for s in job_steps for a in _deploy_invocations(s.get("run", ""))]
    order = [command for command, _ in sequence if command != "rollback"]
    if order != RELEASE_ORDER:
        problems.append(f"{where}: release order {order}, expected {RELEASE_ORDER}")
    by_command = dict(sequence)
    for step in job_steps:
        if "continue-on-error" in step:
            problems.append(f"{where}: continue-on-error in the release steps")
    for command in RELEASE_ORDER:
        step = by_command.get(command)
        if step and step.get("if"):
            problems.append(f"{where}: {command} must run only when all before passed")
    rollback = by_command.get("rollback")
    promote, smoke = by_command.get("promote"), by_command.get("smoke")
    if rollback is None:
        problems.append(f"{where}: no rollback step")
    else:
        condition = re.sub(r"\s+", " ", str(rollback.get("if", "")))
        if "failure()" not in condition or "steps.promote.outcome == 'success'" not in condition:
            problems.append(f"{where}: rollback must run on failure, only after promote")
        if (
            promote is None
            or promote.get("id") != "promote"
            or smoke is None
            or (smoke.get("id") != "smoke")
        ):
            problems.append(f"{where}: promote and smoke steps need the ids the rollback uses")
        elif not job_steps.index(smoke) < job_steps.index(rollback):
            problems.append(f"{where}: rollback must come after smoke")
    # Credentials only after the package is verified, before the first AWS call.
    positions = {
        s.get("id") or str(s.get("uses", "")).split("@")[0]: i for i, s in enumerate(job_steps)
    }
    verify, assume = positions.get("verify", 99), positions.get(CONFIGURE_AWS, -1)
    if not verify < assume < positions.get("publish", -1):
        problems.append(f"{where}: verify -> configure-aws-credentials -> publish")
    return problems


def terraform_problems(workflow: Workflow) -> list[str]:
    """terraform.yml: the real package for every plan, a plan per environment from its own
    state and tfvars, apply by hand on main after the chosen environment's approval."""
    problems = []
    jobs = workflow["jobs"]
    package = jobs.get("package", {})
    built = [a for s in package.get("steps", []) for a in _deploy_invocations(s.get("run", ""))]
    if [a[0] for a in built] != ["package"] or "id-token" in package.get("permissions", {}):
        problems.append("terraform.yml: a package job (no cloud access) builds the real zip")
    plan = jobs.get("plan", {})
    include = plan.get("strategy", {}).get("matrix", {}).get("include", [])
    if sorted(i.get("environment") for i in include) != sorted(ENVIRONMENTS):
        problems.append(f"terraform.yml: plan every environment {ENVIRONMENTS}")
    for entry in include:
        suffix = str(entry.get("environment", "")).upper()
        if (
            entry.get("state-key") != f"${{{{ vars.TF_STATE_KEY_{suffix} }}}}"
            or entry.get("tfvars") != f"${{{{ vars.TERRAFORM_TFVARS_{suffix} }}}}"
        ):
            problems.append(f"terraform.yml: {entry.get('environment')}: its own state and tfvars")
    env = plan.get("env", {})
    if (
        env.get("TF_STATE_KEY") != "${{ matrix.state-key }}"
        or env.get("TF_VAR_github_environment") != "${{ matrix.environment }}"
    ):
        problems.append("terraform.yml: plan with the matrix's state key and environment")
    if "package" not in _needs(plan) or env.get("PACKAGE_SHA256") != (
        "${{ needs.package.outputs.sha256 }}"
    ):
        problems.append("terraform.yml: plan the package job's verified zip")
    plan_cmds = [c for s in plan.get("steps", []) for c in commands(s.get("run", ""))]
    if not any(c[:2] == ["terraform", "plan"] and "-lock=false" in c for c in plan_cmds):
        problems.append("terraform.yml: plans run with -lock=false (read-only role)")
    if any(c[:2] == ["terraform", "apply"] for c in plan_cmds):
        problems.append("terraform.yml: the plan job never applies")
    if "head.repo.full_name == github.repository" not in str(package.get("if", "")):
        problems.append("terraform.yml: no plans for forks (no OIDC token)")
    apply = jobs.get("apply", {})
    condition = str(apply.get("if", ""))
    for part in ("github.event_name == 'workflow_dispatch'", "inputs.apply", "refs/heads/main"):
        if part not in condition:
            problems.append(f"terraform.yml: apply needs {part}")
    if apply.get("environment") != "${{ inputs.environment }}":
        problems.append("terraform.yml: apply waits for the chosen environment's approval")
    if apply.get("concurrency") != {
        "group": "deploy-${{ inputs.environment }}",
        "cancel-in-progress": False,
    }:
        problems.append("terraform.yml: apply shares deploy-<environment> with the release")
    apply_cmds = [c for s in apply.get("steps", []) for c in commands(s.get("run", ""))]
    if ["terraform", "apply", "-input=false", "-no-color", "tfplan"] not in apply_cmds:
        problems.append("terraform.yml: apply exactly the saved plan")
    if not any("--backend-from-plan" in c for c in apply_cmds):
        problems.append("terraform.yml: apply to the state the plan was made from")
    return problems


def cache_problems(name: str, workflow: Workflow) -> list[str]:
    """Caches only in ci.yml, keyed on the dependency files; none where releases are made."""
    problems = []
    for step in _steps_of(name, workflow):
        inputs = step.data.get("with", {})
        caches = _action(step) == "actions/cache" or (
            _action(step) == "actions/setup-python" and "cache" in inputs
        )
        if caches and name != "ci.yml":
            problems.append(f"{step.where()}: no caches in {name} (cache poisoning)")
        python_cache = _action(step) == "actions/setup-python" and "cache" in inputs
        if python_cache and not inputs.get("cache-dependency-path"):
            problems.append(f"{step.where()}: pip cache without cache-dependency-path")
        if _action(step) == "actions/cache" and "hashFiles(" not in inputs.get("key", ""):
            problems.append(f"{step.where()}: cache key must hash the dependency files")
    return problems


def artifact_problems(name: str, workflow: Workflow) -> list[str]:
    """Uploads fail on missing files and expire; downloads come from a job this one needs."""
    problems, uploaded = [], {}
    for step in _steps_of(name, workflow):
        inputs = step.data.get("with", {})
        if _action(step) == "actions/upload-artifact":
            uploaded[str(inputs.get("name")).split("${{")[0]] = step.job_id
            if inputs.get("if-no-files-found") != "error" or not inputs.get("retention-days"):
                problems.append(f"{step.where()}: if-no-files-found: error and retention-days")
            hidden = any(
                part.startswith(".")
                for path in str(inputs.get("path", "")).split()
                for part in path.split("/")
            )
            if hidden and inputs.get("include-hidden-files") is not True:
                problems.append(f"{step.where()}: hidden files need include-hidden-files: true")
    for step in _steps_of(name, workflow):
        inputs = step.data.get("with", {})
        if _action(step) == "actions/download-artifact":
            source = uploaded.get(str(inputs.get("name")).split("${{")[0])
            if source is None or source not in _needs(workflow["jobs"][step.job_id]):
                problems.append(f"{step.where()}: downloads an artifact no needed job uploads")
    return problems


# ---------------------------------------------------------------------------
# Tests on the real workflows
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wf() -> dict[str, Workflow]:
    return {name: load(name) for name in NAMES}


@pytest.fixture(scope="module")
def deploy_expanded() -> Workflow:
    return expanded("deploy.yml")


@pytest.mark.parametrize("name", NAMES)
def test_hygiene(wf, name):
    assert hygiene_problems(name, wf[name]) == []


@pytest.mark.parametrize("name", NAMES)
def test_oidc_only_where_aws_is_used(wf, name):
    assert oidc_problems(name, wf[name]) == []


def test_no_access_keys_or_secrets_anywhere():
    for path in sorted((REPO / ".github").rglob("*")):
        if path.is_file():
            assert access_key_problems(path.name, path.read_text()) == []


def test_every_action_is_pinned_by_sha_with_its_version():
    lines = list(uses_lines())
    assert len([line for line in lines if not line[2].startswith(("$/", "./"))]) > 20
    assert pin_problems(lines) == []


def test_dependabot_keeps_the_pinned_actions_current():
    config = yaml.safe_load((REPO / ".github" / "dependabot.yml").read_text())
    ecosystems = {(u["package-ecosystem"], u["directory"]) for u in config["updates"]}
    assert ("github-actions", "/") in ecosystems


def test_deploy_workflow(deploy_expanded):
    assert deploy_problems(deploy_expanded) == []


def test_release_workflow_is_only_called():
    release = load("release.yml")
    assert set(release["on"]) == {"workflow_call"}
    inputs = release["on"]["workflow_call"]["inputs"]
    assert {k: v["required"] for k, v in inputs.items()} == {
        "environment": True,
        "package-sha256": True,
    }
    assert _env_name(release["jobs"]["release"]) == "${{ inputs.environment }}"


def test_terraform_workflow(wf):
    assert terraform_problems(wf["terraform.yml"]) == []


@pytest.mark.parametrize("name", NAMES)
def test_caches(wf, name):
    assert cache_problems(name, wf[name]) == []


@pytest.mark.parametrize("name", [n for n in NAMES if n != "release.yml"])
def test_artifacts(name):
    # deploy.yml with release.yml inlined: its download comes from the caller's build job
    assert artifact_problems(name, expanded(name)) == []


def test_triggers(wf):
    ci, terraform = wf["ci.yml"]["on"], wf["terraform.yml"]["on"]
    assert "pull_request" in ci and ci["push"] == {"branches": ["main"]}
    assert terraform["pull_request"]["paths"][0] == "terraform/**"
    inputs = terraform["workflow_dispatch"]["inputs"]
    assert inputs["apply"]["type"] == "boolean" and inputs["apply"]["default"] is False
    assert inputs["environment"]["options"] == list(ENVIRONMENTS)


def test_ci_runs_the_documented_make_targets(wf):
    makefile = (REPO / "Makefile").read_text()
    # The README gives run/test/test-fast; docs/development.md every target.
    documented = (REPO / "README.md").read_text() + (REPO / "docs" / "development.md").read_text()
    targets = set(re.findall(r"^([a-z][\w.-]*):", makefile, re.MULTILINE))
    run = {}
    for step in _steps_of("ci.yml", wf["ci.yml"]):
        for cmd in commands(step.run or ""):
            if cmd[0] == "make":
                run.setdefault(step.job_id, []).append(cmd[1])
    assert run == {
        "lint": ["lint"],
        "typecheck": ["typecheck"],
        "test": ["test"],
        "terraform": [".venv-checkov/bin/checkov"],
    }
    for target in ("lint", "typecheck", "test"):
        assert target in targets and f"make {target}" in documented
    assert ".venv-checkov/bin/checkov:" in makefile


def test_checkov_version_comes_from_the_makefile():
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^CHECKOV_VERSION := \d+\.\d+\.\d+$", makefile, re.MULTILINE)
    for name in NAMES:
        assert "checkov==" not in (REPO / ".github" / "workflows" / name).read_text()


def test_every_deploy_command_parses_with_the_real_cli(wf, monkeypatch):
    for variable in ("API_FUNCTION_NAME", "MIGRATE_FUNCTION_NAME", "ROTATE_FUNCTION_NAME"):
        monkeypatch.setenv(variable, "fn")
    documented = (REPO / "deploy" / "README.md").read_text()
    seen = set()
    for name in NAMES:
        for step in _steps_of(name, wf[name]):
            job = wf[name]["jobs"][step.job_id]
            env = {**wf[name].get("env", {}), **job.get("env", {}), **step.data.get("env", {})}

            def value(match: re.Match[str], env: dict[str, Any] = env) -> str:
                # The shell expands "$VAR": literal env values as they are, others as a word.
                literal = str(env.get(match[1], "${{"))
                return "value" if "${{" in literal else literal

            for args in _deploy_invocations(step.run or ""):
                expanded_args = [re.sub(r"\$\{?(\w+)\}?", value, arg) for arg in args]
                try:
                    build_parser().parse_args(expanded_args)
                except SystemExit:
                    pytest.fail(f"{step.where()}: python -m deploy {' '.join(args)} does not parse")
                assert f"python -m deploy {args[0]}" in documented, args[0]
                seen.add(args[0])
    assert seen == {"package", "publish", "migrate", "promote", "smoke", "rollback"}


def test_ci_terraform_job_runs_fmt_init_validate(wf):
    job = wf["ci.yml"]["jobs"]["terraform"]
    assert job["defaults"]["run"]["working-directory"] == "terraform"
    ran = [cmd for s in job["steps"] for cmd in commands(s.get("run", ""))]
    assert ["terraform", "fmt", "-check", "-recursive", "-diff"] in ran
    assert ["terraform", "init", "-backend=false", "-input=false"] in ran
    assert ["terraform", "validate", "-no-color"] in ran


def test_terraform_version_satisfies_required_version(wf):
    versions_tf = (REPO / "terraform" / "versions.tf").read_text()
    required = re.search(r'required_version\s*=\s*"([^"]+)"', versions_tf)
    assert required
    wanted = SpecifierSet(required[1].replace(" ", ""))
    used = {
        s.data["with"]["terraform_version"]
        for name in NAMES
        for s in _steps_of(name, wf[name])
        if _action(s) == "hashicorp/setup-terraform"
    }
    assert len(used) == 1 and next(iter(used)) in wanted, used


def test_test_job_has_mysql_8_and_both_pythons(wf):
    job = wf["ci.yml"]["jobs"]["test"]
    mysql = job["services"]["mysql"]
    assert mysql["image"].startswith("mysql:8.0")
    assert mysql["env"] == {"MYSQL_ALLOW_EMPTY_PASSWORD": "yes"}
    assert "--health-cmd" in mysql["options"] and "mysqladmin ping" in mysql["options"]
    assert mysql["ports"] == ["3306:3306"]
    assert job["env"] == {
        "TEST_MYSQL_HOST": "127.0.0.1",
        "TEST_MYSQL_PORT": "3306",
        "TEST_MYSQL_USER": "root",
        "TEST_MYSQL_PASSWORD": "",
    }
    python = next(s for s in job["steps"] if "setup-python" in s.get("uses", ""))
    assert python["with"]["python-version"].split() == ["3.12", "3.11"]  # last = default


def test_package_builds_for_arm64_on_python_312(wf):
    for name, job_id in (
        ("ci.yml", "package"),
        ("deploy.yml", "build"),
        ("terraform.yml", "package"),
    ):
        job = wf[name]["jobs"][job_id]
        python = next(s for s in job["steps"] if "setup-python" in s.get("uses", ""))
        assert python["with"]["python-version"] == "3.12"
        packaged = [a for s in job["steps"] for a in _deploy_invocations(s.get("run", ""))]
        assert packaged == [["package", "--arch", "arm64", "--output", "build/lambda.zip"]]


def test_hash_pinned_installs(wf):
    """Every pip install in a workflow requires hashes and wheels (no setup.py runs)."""
    for name in NAMES:
        for step in _steps_of(name, wf[name]):
            for cmd in commands(step.run or ""):
                if "pip" in cmd and "install" in cmd:
                    assert "--require-hashes" in cmd and "--only-binary=:all:" in cmd, cmd
                    assert (REPO / cmd[cmd.index("-r") + 1]).is_file()


# ---------------------------------------------------------------------------
# The rules catch broken copies
# ---------------------------------------------------------------------------


def _mutate(workflow: Workflow, change: Callable[[Workflow], None]) -> Workflow:
    broken = copy.deepcopy(workflow)
    change(broken)
    return broken


def _release(workflow: Workflow, environment: str = "staging") -> dict[str, Any]:
    return next(j for j in workflow["jobs"].values() if _env_name(j) == environment)


def _release_step(workflow: Workflow, step_id: str, environment: str = "staging"):
    return next(s for s in _release(workflow, environment)["steps"] if s.get("id") == step_id)


def _swap(workflow: Workflow, first: str, second: str) -> None:
    job_steps = _release(workflow)["steps"]
    a, b = (job_steps.index(_release_step(workflow, i)) for i in (first, second))
    job_steps[a], job_steps[b] = job_steps[b], job_steps[a]


def _production_without_staging(w: Workflow) -> None:
    for job in w["jobs"].values():
        if _env_name(job) == "production":
            job["needs"] = ["build"]


DEPLOY_MUTATIONS = {
    "promote before migrate": (lambda w: _swap(w, "migrate", "promote"), "release order"),
    "migrate may fail": (
        lambda w: _release_step(w, "migrate").update({"continue-on-error": True}),
        "continue-on-error",
    ),
    "rollback always": (
        lambda w: _release_step(w, "rollback").update({"if": "always()"}),
        "rollback must run on failure",
    ),
    "no rollback": (
        lambda w: _release(w)["steps"].remove(_release_step(w, "rollback")),
        "no rollback step",
    ),
    "smoke skipped": (
        lambda w: _release_step(w, "smoke").update({"if": "false"}),
        "smoke must run only when",
    ),
    "runs cancel each other": (
        lambda w: w["concurrency"].update({"cancel-in-progress": True}),
        "one run at a time",
    ),
    "one environment's group for both": (
        lambda w: _release(w, "production")["concurrency"].update({"group": "deploy-staging"}),
        "concurrency must be deploy-production",
    ),
    "production without staging": (_production_without_staging, "production must need"),
    "another zip for production": (
        lambda w: _release(w, "production")["env"].update({"PACKAGE_SHA256": "${{ inputs.x }}"}),
        "must verify the build job's sha256",
    ),
    "no production environment": (
        lambda w: _release(w, "production").update({"environment": "prod"}),
        "one release job per environment",
    ),
    "credentials first": (
        lambda w: _swap(w, "verify", "publish"),
        "verify -> configure-aws-credentials -> publish",
    ),
    "function name inline": (
        lambda w: _release(w)["env"].update({"API_FUNCTION_NAME": "inventory-api"}),
        "env API_FUNCTION_NAME",
    ),
    "any branch": (lambda w: w["jobs"]["staging.release"].pop("if"), "main only"),
    "package twice": (
        lambda w: w["jobs"]["build"]["steps"].append({"run": "python -m deploy package"}),
        "package, once",
    ),
}


@pytest.mark.parametrize("mutation", DEPLOY_MUTATIONS)
def test_deploy_rules_catch(deploy_expanded, mutation):
    change, expected = DEPLOY_MUTATIONS[mutation]
    problems = deploy_problems(_mutate(deploy_expanded, change))
    assert any(expected in p for p in problems), problems


TERRAFORM_MUTATIONS = {
    "placeholder zip": (lambda w: w["jobs"].pop("package"), "builds the real zip"),
    "one environment": (
        lambda w: w["jobs"]["plan"]["strategy"]["matrix"]["include"].pop(),
        "plan every environment",
    ),
    "shared state": (
        lambda w: w["jobs"]["plan"]["strategy"]["matrix"]["include"][1].update(
            {"state-key": "${{ vars.TF_STATE_KEY_STAGING }}"}
        ),
        "its own state and tfvars",
    ),
    "apply on any branch": (
        lambda w: w["jobs"]["apply"].update({"if": "inputs.apply"}),
        "apply needs",
    ),
    "apply without approval": (
        lambda w: w["jobs"]["apply"].pop("environment"),
        "chosen environment's approval",
    ),
    "apply another state": (
        lambda w: w["jobs"]["apply"]["steps"][-2].update(
            {"run": "../.github/scripts/terraform-init.sh"}
        ),
        "state the plan was made from",
    ),
}


@pytest.mark.parametrize("mutation", TERRAFORM_MUTATIONS)
def test_terraform_rules_catch(wf, mutation):
    change, expected = TERRAFORM_MUTATIONS[mutation]
    problems = terraform_problems(_mutate(wf["terraform.yml"], change))
    assert any(expected in p for p in problems), problems


def test_hygiene_and_oidc_rules_catch(wf):
    def loosen(w: Workflow) -> None:
        w["permissions"] = "write-all"
        w["jobs"]["build"]["permissions"]["id-token"] = "write"
        w["jobs"]["build"].pop("timeout-minutes")
        w["jobs"]["build"]["runs-on"] = "ubuntu-latest"
        w["jobs"]["build"]["steps"][0]["with"] = {}
        w["jobs"]["build"]["steps"][2]["run"] = "echo ${{ github.event.head_commit.message }}"
        w["jobs"]["staging"]["permissions"]["contents"] = "write"
        w["jobs"]["production"]["permissions"].pop("id-token")

    broken = _mutate(wf["deploy.yml"], loosen)
    found = "\n".join(hygiene_problems("deploy.yml", broken) + oidc_problems("deploy.yml", broken))
    for expected in (
        "workflow-level permissions",
        "build: no timeout-minutes",
        "-latest",
        "persist-credentials",
        "inside run:",
        "staging: permission contents: write",
        "deploy.yml:build: id-token: write only on",
        "production: id-token: write iff release.yml assumes a role",
    ):
        assert expected in found, found

    keys = _mutate(wf["release.yml"], lambda w: None)
    configure = next(
        s for s in keys["jobs"]["release"]["steps"] if CONFIGURE_AWS in s.get("uses", "")
    )
    configure["with"] = {"aws-access-key-id": "${{ secrets.KEY }}", "aws-region": "eu-west-1"}
    found = "\n".join(oidc_problems("release.yml", keys))
    assert "role-to-assume" in found and "unexpected inputs" in found and "aws-region" in found


def test_access_key_rule_catches():
    text = "env:\n  AWS_ACCESS_KEY_ID: ${{ secrets.KEY_ID }}\n  x: aws-secret-access-key\n"
    assert len(access_key_problems("x.yml", text)) == 2


def test_pin_rule_catches_shapes_and_disagreeing_pins():
    sha, other = "11bd71901bbe5b1630ceea73d27597364c9af683", "a" * 40
    lines = [
        ("x.yml", 1, "actions/checkout@v4", ""),
        ("x.yml", 2, f"actions/checkout@{sha[:12]}", " # v4.2.2"),
        ("x.yml", 3, f"actions/checkout@{sha}", ""),
        ("x.yml", 4, f"actions/checkout@{sha}", " # v4"),
        ("x.yml", 5, f"actions/checkout@{sha}", " # v4.2.2"),
        ("y.yml", 6, f"actions/checkout@{other}", " # v4.3.0"),
        ("y.yml", 7, f"someone/else@{other}", " # v1.0.0"),
        ("y.yml", 8, "$/.github/workflows/release.yml", ""),
    ]
    problems = pin_problems(lines)
    assert sum("not pinned to a full commit SHA" in p for p in problems) == 2
    assert sum("no '# vX.Y.Z' comment" in p for p in problems) == 2
    assert [p for p in problems if "differs from" in p] == [
        f"y.yml:6: actions/checkout@{other} # v4.3.0 differs from x.yml:5 ({sha} # v4.2.2)"
    ]
    # A Dependabot update (new SHA and version, everywhere at once) passes
    bumped = [(n, i, f"actions/checkout@{other}", " # v4.3.0") for n, i, _r, _c in lines[4:6]]
    assert pin_problems(bumped) == []


def test_cache_and_artifact_rules_catch(wf):
    def cache_in_deploy(w: Workflow) -> None:
        w["jobs"]["build"]["steps"][1]["with"]["cache"] = "pip"

    assert cache_problems("deploy.yml", _mutate(wf["deploy.yml"], cache_in_deploy))

    def hidden(w: Workflow) -> None:
        upload = next(s for s in w["jobs"]["plan"]["steps"] if "upload" in s.get("uses", ""))
        upload["with"].pop("include-hidden-files")

    problems = artifact_problems("terraform.yml", _mutate(wf["terraform.yml"], hidden))
    assert any("include-hidden-files" in p for p in problems), problems

    def unrelated(w: Workflow) -> None:
        w["jobs"]["staging.release"]["needs"] = []

    problems = artifact_problems("deploy.yml", _mutate(expanded("deploy.yml"), unrelated))
    assert any("no needed job uploads" in p for p in problems), problems
