"""The workflows, parsed: release order, OIDC without keys, pins, permissions, timeouts,
caches, and the commands they run (the ones the README, the Makefile and
`python -m deploy` define). Each rule is a function returning problems, so the negative
tests can show it catches a broken copy."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest
from packaging.specifiers import SpecifierSet

from deploy.cli import build_parser
from tests.cicd.workflows import NAMES, PINS, REPO, Step, commands, load, steps, uses_lines

Workflow = dict[str, Any]
RELEASE_ORDER = ["package", "publish", "migrate", "promote", "smoke"]
OIDC_JOBS = {("deploy.yml", "deploy"), ("terraform.yml", "plan"), ("terraform.yml", "apply")}
ACCESS_KEY = re.compile(
    r"aws[_-]?(secret[_-]?)?access[_-]?key|aws[_-]session[_-]token|secrets\.", re.IGNORECASE
)
CONFIGURE_AWS = "aws-actions/configure-aws-credentials"


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
        if not isinstance(job.get("timeout-minutes"), int) or job["timeout-minutes"] <= 0:
            problems.append(f"{where}: no timeout-minutes")
        if not isinstance(job.get("permissions"), dict):
            problems.append(f"{where}: no explicit permissions")
        for scope, level in (job.get("permissions") or {}).items():
            if level != "read" and (scope, level) != ("id-token", "write"):
                problems.append(f"{where}: permission {scope}: {level}")
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
    """id-token: write exactly where configure-aws-credentials assumes a role; no keys."""
    problems = []
    for job_id, job in workflow["jobs"].items():
        where = f"{name}:{job_id}"
        writes_token = (job.get("permissions") or {}).get("id-token") == "write"
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
    """Every `uses:` is owner/repo@<40 hex> # <version>, exactly as PINS says."""
    problems, used = [], set()
    for name, number, ref, rest in lines:
        action, _, sha = ref.partition("@")
        used.add(action)
        comment = re.fullmatch(r"\s+# (v\d+\.\d+\.\d+)\s*", rest)
        if not re.fullmatch(r"[0-9a-f]{40}", sha):
            problems.append(f"{name}:{number}: {ref} is not pinned to a full commit SHA")
        elif not comment:
            problems.append(f"{name}:{number}: {ref} has no '# vX.Y.Z' comment")
        elif PINS.get(action) != (sha, comment[1]):
            problems.append(f"{name}:{number}: {action}@{sha} # {comment[1]} is not in PINS")
    problems += [f"PINS lists {a}, which no workflow uses" for a in sorted(set(PINS) - used)]
    return problems


def deploy_problems(workflow: Workflow) -> list[str]:
    """deploy.yml: triggers, one at a time, environment, order, rollback, migrate gate."""
    problems = []
    on = workflow.get("on", {})
    if on.get("push") != {"branches": ["main"]} or "workflow_dispatch" not in on:
        problems.append("deploy.yml: triggers must be push to main and workflow_dispatch")
    if workflow.get("concurrency") != {"group": "deploy-production", "cancel-in-progress": False}:
        problems.append("deploy.yml: concurrency must be deploy-production without cancelling")
    jobs = workflow["jobs"]
    deploy = jobs.get("deploy", {})
    if (deploy.get("environment") or {}).get("name") != "production":
        problems.append("deploy.yml: the deploy job must use the production environment")
    if deploy.get("needs") not in ("build", ["build"]):
        problems.append("deploy.yml: deploy must need build")
    for job_id in jobs:
        if "refs/heads/main" not in str(jobs[job_id].get("if", "")):
            problems.append(f"deploy.yml:{job_id}: must run on main only")

    # The release commands in job order (build first), each with the step that runs it.
    sequence: list[tuple[str, Step]] = []
    for job_id in ("build", "deploy"):
        for step in _steps_of("deploy.yml", {"jobs": {job_id: jobs.get(job_id, {})}}):
            for args in _deploy_invocations(step.run or ""):
                sequence.append((args[0], step))
    order = [command for command, _ in sequence if command != "rollback"]
    if order != RELEASE_ORDER:
        problems.append(f"deploy.yml: release order {order}, expected {RELEASE_ORDER}")
    by_command = dict(sequence)
    for step in _steps_of("deploy.yml", workflow):
        if "continue-on-error" in step.data:
            problems.append(f"{step.where()}: continue-on-error in the release workflow")
    for command in ("publish", "migrate", "promote", "smoke"):
        step = by_command.get(command)
        if step and step.data.get("if"):
            problems.append(f"{step.where()}: {command} must run only when all before passed")
    rollback = by_command.get("rollback")
    if rollback is None:
        problems.append("deploy.yml: no rollback step")
    else:
        condition = re.sub(r"\s+", " ", str(rollback.data.get("if", "")))
        deploy_steps = [s for s in _steps_of("deploy.yml", workflow) if s.job_id == "deploy"]
        promote, smoke = by_command.get("promote"), by_command.get("smoke")
        if "failure()" not in condition or "steps.promote.outcome == 'success'" not in condition:
            problems.append("deploy.yml: rollback must run on failure, only after promote")
        if promote is None or promote.id != "promote" or smoke is None or smoke.id != "smoke":
            problems.append("deploy.yml: promote and smoke steps need the ids the rollback uses")
        elif not deploy_steps.index(smoke) < deploy_steps.index(rollback):
            problems.append("deploy.yml: rollback must come after smoke")
    # Credentials only after the package is verified, before the first AWS call.
    deploy_steps = [s for s in _steps_of("deploy.yml", workflow) if s.job_id == "deploy"]
    positions = {s.id or _action(s): i for i, s in enumerate(deploy_steps)}
    verify, assume = positions.get("verify", 99), positions.get(CONFIGURE_AWS, -1)
    if not verify < assume < positions.get("publish", -1):
        problems.append("deploy.yml: verify -> configure-aws-credentials -> publish")
    env = deploy.get("env", {})
    for variable in (
        "AWS_REGION",
        "API_FUNCTION_NAME",
        "MIGRATE_FUNCTION_NAME",
        "ROTATE_FUNCTION_NAME",
        "API_BASE_URL",
    ):
        if env.get(variable) != f"${{{{ vars.{variable} }}}}":
            problems.append(f"deploy.yml: env {variable} must be ${{{{ vars.{variable} }}}}")
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
    problems, uploaded = [], {}
    for step in _steps_of(name, workflow):
        inputs = step.data.get("with", {})
        if _action(step) == "actions/upload-artifact":
            uploaded[inputs.get("name")] = step.job_id
            if inputs.get("if-no-files-found") != "error" or not inputs.get("retention-days"):
                problems.append(f"{step.where()}: if-no-files-found: error and retention-days")
            hidden = any(
                part.startswith(".")
                for path in str(inputs.get("path", "")).split()
                for part in path.split("/")
            )
            if hidden and inputs.get("include-hidden-files") is not True:
                problems.append(f"{step.where()}: hidden files need include-hidden-files: true")
        if _action(step) == "actions/download-artifact":
            source = uploaded.get(inputs.get("name"))
            needs = workflow["jobs"][step.job_id].get("needs", [])
            if source is None or source not in ([needs] if isinstance(needs, str) else needs):
                problems.append(f"{step.where()}: downloads an artifact no needed job uploads")
    return problems


# ---------------------------------------------------------------------------
# Tests on the real workflows
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wf() -> dict[str, Workflow]:
    return {name: load(name) for name in NAMES}


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
    assert pin_problems(list(uses_lines())) == []


def test_deploy_workflow(wf):
    assert deploy_problems(wf["deploy.yml"]) == []


@pytest.mark.parametrize("name", NAMES)
def test_caches(wf, name):
    assert cache_problems(name, wf[name]) == []


@pytest.mark.parametrize("name", NAMES)
def test_artifacts(wf, name):
    assert artifact_problems(name, wf[name]) == []


def test_triggers(wf):
    ci, terraform = wf["ci.yml"]["on"], wf["terraform.yml"]["on"]
    assert "pull_request" in ci and ci["push"] == {"branches": ["main"]}
    assert terraform["pull_request"]["paths"][0] == "terraform/**"
    assert terraform["workflow_dispatch"]["inputs"]["apply"]["type"] == "boolean"
    assert terraform["workflow_dispatch"]["inputs"]["apply"]["default"] is False


def test_ci_runs_the_documented_make_targets(wf):
    makefile = (REPO / "Makefile").read_text()
    readme = (REPO / "README.md").read_text()
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
        assert target in targets and f"make {target}" in readme
    assert ".venv-checkov/bin/checkov:" in makefile


def test_checkov_version_comes_from_the_makefile():
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^CHECKOV_VERSION := 3\.3\.30$", makefile, re.MULTILINE)
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
                expanded = [re.sub(r"\$\{?(\w+)\}?", value, arg) for arg in args]
                try:
                    build_parser().parse_args(expanded)
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
    for name, job_id in (("ci.yml", "package"), ("deploy.yml", "build")):
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


def test_terraform_apply_is_manual_approved_and_on_main(wf):
    jobs = wf["terraform.yml"]["jobs"]
    apply = jobs["apply"]
    condition = apply["if"]
    for part in ("github.event_name == 'workflow_dispatch'", "inputs.apply", "refs/heads/main"):
        assert part in condition
    assert apply["environment"] == "production"
    assert apply["needs"] == "plan"
    assert apply["concurrency"] == {"group": "deploy-production", "cancel-in-progress": False}
    plan_cmds = [c for s in jobs["plan"]["steps"] for c in commands(s.get("run", ""))]
    assert any(c[:2] == ["terraform", "plan"] and "-lock=false" in c for c in plan_cmds)
    apply_cmds = [c for s in apply["steps"] for c in commands(s.get("run", ""))]
    assert ["terraform", "apply", "-input=false", "-no-color", "tfplan"] in apply_cmds
    # The plan job never applies; forks (no OIDC token) are not planned.
    assert not any(c[:2] == ["terraform", "apply"] for c in plan_cmds)
    assert "head.repo.full_name == github.repository" in jobs["plan"]["if"]


# ---------------------------------------------------------------------------
# The rules catch broken copies
# ---------------------------------------------------------------------------


def _mutate(workflow: Workflow, change: Callable[[Workflow], None]) -> Workflow:
    broken = copy.deepcopy(workflow)
    change(broken)
    return broken


def _deploy_step(workflow: Workflow, step_id: str) -> dict[str, Any]:
    return next(s for s in workflow["jobs"]["deploy"]["steps"] if s.get("id") == step_id)


def _swap(workflow: Workflow, first: str, second: str) -> None:
    job_steps = workflow["jobs"]["deploy"]["steps"]
    a, b = (job_steps.index(_deploy_step(workflow, i)) for i in (first, second))
    job_steps[a], job_steps[b] = job_steps[b], job_steps[a]


DEPLOY_MUTATIONS = {
    "promote before migrate": (lambda w: _swap(w, "migrate", "promote"), "release order"),
    "migrate may fail": (
        lambda w: _deploy_step(w, "migrate").update({"continue-on-error": True}),
        "continue-on-error",
    ),
    "rollback always": (
        lambda w: _deploy_step(w, "rollback").update({"if": "always()"}),
        "rollback must run on failure",
    ),
    "no rollback": (
        lambda w: w["jobs"]["deploy"]["steps"].remove(_deploy_step(w, "rollback")),
        "no rollback step",
    ),
    "smoke skipped": (
        lambda w: _deploy_step(w, "smoke").update({"if": "false"}),
        "smoke must run only when",
    ),
    "cancel in progress": (
        lambda w: w["concurrency"].update({"cancel-in-progress": True}),
        "concurrency",
    ),
    "no environment": (lambda w: w["jobs"]["deploy"].pop("environment"), "production"),
    "credentials first": (
        lambda w: _swap(w, "verify", "publish"),
        "verify -> configure-aws-credentials -> publish",
    ),
    "function name inline": (
        lambda w: w["jobs"]["deploy"]["env"].update({"API_FUNCTION_NAME": "inventory-api"}),
        "env API_FUNCTION_NAME",
    ),
    "any branch": (lambda w: w["jobs"]["deploy"].pop("if"), "main only"),
}


@pytest.mark.parametrize("mutation", DEPLOY_MUTATIONS)
def test_deploy_rules_catch(wf, mutation):
    change, expected = DEPLOY_MUTATIONS[mutation]
    problems = deploy_problems(_mutate(wf["deploy.yml"], change))
    assert any(expected in p for p in problems), problems


def test_hygiene_and_oidc_rules_catch(wf):
    def loosen(w: Workflow) -> None:
        w["permissions"] = "write-all"
        w["jobs"]["build"]["permissions"]["id-token"] = "write"
        w["jobs"]["build"].pop("timeout-minutes")
        w["jobs"]["build"]["runs-on"] = "ubuntu-latest"
        w["jobs"]["build"]["steps"][0]["with"] = {}
        w["jobs"]["build"]["steps"][2]["run"] = "echo ${{ github.event.head_commit.message }}"
        w["jobs"]["deploy"]["permissions"]["contents"] = "write"

    broken = _mutate(wf["deploy.yml"], loosen)
    found = "\n".join(hygiene_problems("deploy.yml", broken) + oidc_problems("deploy.yml", broken))
    for expected in (
        "workflow-level permissions",
        "build: no timeout-minutes",
        "-latest",
        "persist-credentials",
        "inside run:",
        "permission contents: write",
        "deploy.yml:build: id-token: write only on",
    ):
        assert expected in found, found

    keys = _mutate(wf["deploy.yml"], lambda w: None)
    deploy_steps = keys["jobs"]["deploy"]["steps"]
    configure = next(s for s in deploy_steps if CONFIGURE_AWS in s.get("uses", ""))
    configure["with"] = {"aws-access-key-id": "${{ secrets.KEY }}", "aws-region": "eu-west-1"}
    found = "\n".join(oidc_problems("deploy.yml", keys))
    assert "role-to-assume" in found and "unexpected inputs" in found and "aws-region" in found


def test_access_key_rule_catches():
    text = "env:\n  AWS_ACCESS_KEY_ID: ${{ secrets.KEY_ID }}\n  x: aws-secret-access-key\n"
    assert len(access_key_problems("x.yml", text)) == 2


def test_pin_rule_catches():
    sha, version = PINS["actions/checkout"]
    lines = [
        ("x.yml", 1, "actions/checkout@v4", ""),
        ("x.yml", 2, f"actions/checkout@{sha[:12]}", f" # {version}"),
        ("x.yml", 3, f"actions/checkout@{sha}", ""),
        ("x.yml", 4, f"actions/checkout@{sha}", " # v9.9.9"),
        ("x.yml", 5, f"someone/else@{sha}", f" # {version}"),
    ]
    problems = pin_problems(lines)
    assert sum("not pinned to a full commit SHA" in p for p in problems) == 2
    assert sum("no '# vX.Y.Z' comment" in p for p in problems) == 1
    assert sum("is not in PINS" in p for p in problems) == 2
    assert any("PINS lists actions/cache, which no workflow uses" in p for p in problems)


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
        w["jobs"]["deploy"]["needs"] = []

    problems = artifact_problems("deploy.yml", _mutate(wf["deploy.yml"], unrelated))
    assert any("no needed job uploads" in p for p in problems), problems
