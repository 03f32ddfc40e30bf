"""deploy.yml run for real, staging then production: its `run:` steps (and release.yml's,
called once per environment) in bash, in order, with GitHub's rules for skipped steps
after a failure; each environment's variables over the repository's; the release CLI
against moto's server, where two stacks (staging, production) live side by side and the
functions' handlers run in-process (tests/support/deploy_lambda.py); the smoke test
against the real handler behind the local API Gateway (`python -m deploy serve`).

Only what needs GitHub or the network is stood in for: the `uses:` actions (checkout,
setup-python, configure-aws-credentials exports fake credentials like the real one;
the artifact actions are modelled by the runner), the pip installs (the venv has the
packages), the package build (tests/deploy builds real packages; here a small zip) and
the environment reviewers (approve, or reject).
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cicd.runner import Runner, minimal_env, python_shims
from tests.cicd.workflows import REPO, load
from tests.support.deploy_lambda import FakeRuntime, create_stack, healthz_handler, small_zip
from tests.support.deploy_moto import FAKE_CREDENTIALS, REGION

pytestmark = pytest.mark.slow  # runs the deploy workflow: processes, moto and serve

SHA = "0123456789abcdef0123456789abcdef01234567"
PACKAGE = small_zip("release 2")
PACKAGE_SHA = base64.b64encode(hashlib.sha256(PACKAGE).digest()).decode()
MIGRATED = {"ok": True, "action": "upgrade", "before": None, "after": "0001"}
STACKS = {
    env: {
        "API_FUNCTION_NAME": f"inventory-{env}-api",
        "MIGRATE_FUNCTION_NAME": f"inventory-{env}-migrate",
        "ROTATE_FUNCTION_NAME": f"inventory-{env}-rotate",
    }
    for env in ("staging", "production")
}
ROLES = {env: f"arn:aws:iam::123456789012:role/inventory-{env}-github-deploy" for env in STACKS}


@pytest.fixture
def stacks(moto_server, monkeypatch):
    """Both environments' functions at version 1 (live -> 1), healthy handlers."""
    moto_server.reset()
    lambda_client, iam = moto_server.client("lambda"), moto_server.client("iam")
    runtime = FakeRuntime().install(monkeypatch)
    for names in STACKS.values():
        create_stack(lambda_client, iam, names)
        runtime.on(names["MIGRATE_FUNCTION_NAME"], lambda event, qualifier: MIGRATED)
        runtime.on(names["API_FUNCTION_NAME"], healthz_handler(200))
    return runtime


@pytest.fixture
def make_runner(tmp_path, moto_server, aws_files, stacks):
    """A runner for deploy.yml: repository variables, and each environment's own."""

    def make(urls: dict[str, str], *, ref: str = "refs/heads/main", **overrides: Any) -> Runner:
        assumed: list[str] = []

        def assume_role(_workspace: Path, env: dict[str, str], with_: dict[str, Any]):
            # Like the action: credentials only for the steps after this one.
            role = with_.get("role-to-assume")
            assumed.append(str(role))
            ok = role in ROLES.values() and with_.get("aws-region") == REGION
            exported = {**FAKE_CREDENTIALS, "AWS_REGION": str(with_.get("aws-region"))}
            with open(env["GITHUB_ENV"], "a") as file:
                file.writelines(f"{key}={value}\n" for key, value in exported.items())
            return ok, {}

        def package(workspace: Path, _env: dict[str, str], _with: dict[str, Any]):
            (workspace / "build").mkdir(exist_ok=True)
            (workspace / "build" / "lambda.zip").write_bytes(PACKAGE)
            return True, {}

        environments = {
            env: {"AWS_DEPLOY_ROLE_ARN": ROLES[env], **names, "API_BASE_URL": urls[env]}
            for env, names in STACKS.items()
        }
        for env, changes in overrides.pop("environment_vars", {}).items():
            environments[env].update(changes)
        shims = python_shims(tmp_path / "bin", sys.executable)
        runner = Runner(
            workflow=load("deploy.yml"),
            root=tmp_path / "runner",
            vars={"AWS_REGION": REGION},
            environments=environments,
            github={
                "sha": SHA,
                "ref": ref,
                "event_name": "push",
                "repository": "example/inventory-api",
                "run_id": "1",
            },
            base_env={
                **minimal_env(shims),
                **aws_files,
                "PYTHONPATH": str(REPO),
                "AWS_ENDPOINT_URL": moto_server.url,
            },
            uses_handlers={"aws-actions/configure-aws-credentials": assume_role},
            substitutes={"install": lambda *_: (True, {}), "package": package},
            load_workflow=load,
            **overrides,
        )
        runner.assumed = assumed
        return runner

    return make


def _lambda(moto_server):
    return moto_server.client("lambda")


def _live(moto_server, env: str, variable: str = "API_FUNCTION_NAME") -> dict[str, Any]:
    return _lambda(moto_server).get_alias(FunctionName=STACKS[env][variable], Name="live")


def _versions(moto_server, env: str) -> dict[str, list[str]]:
    client = _lambda(moto_server)
    return {
        variable: [
            v["Version"] for v in client.list_versions_by_function(FunctionName=name)["Versions"]
        ]
        for variable, name in STACKS[env].items()
    }


def _untouched(moto_server, stacks, env: str) -> None:
    """No new version, live still on 1, nothing invoked in this environment."""
    assert set(map(tuple, _versions(moto_server, env).values())) == {("$LATEST", "1")}
    for variable in ("API_FUNCTION_NAME", "ROTATE_FUNCTION_NAME"):
        assert _live(moto_server, env, variable)["FunctionVersion"] == "1"
    assert not [c for c in stacks.calls if c.function in STACKS[env].values()]


def _release(results, env: str):
    return results[env].called["release"]


def test_release_goes_to_staging_then_production_with_the_same_zip(
    make_runner, moto_server, gateway, stacks
):
    # GIVEN healthy stacks in both environments
    runner = make_runner({"staging": gateway.url, "production": gateway.url})
    # WHEN the workflow runs on a push to main (production approved)
    results = runner.run()
    # THEN the zip is built once, released to staging, then to production
    assert {job: r.result for job, r in results.items()} == {
        "build": "success",
        "staging": "success",
        "production": "success",
    }, "\n".join(r.log() for r in runner.ran)
    assert [r.job_id for r in runner.ran] == ["build", "release", "release"]
    assert runner.assumed == [ROLES["staging"], ROLES["production"]]
    for env in ("staging", "production"):
        release = _release(results, env)
        ran = [s.id for s in release.steps if s.outcome == "success" and s.id]
        assert [s for s in ran if s in ("publish", "migrate", "promote", "smoke")] == [
            "publish",
            "migrate",
            "promote",
            "smoke",
        ]
        assert release.step("rollback").outcome == "skipped"
        # AND the three functions run the very same bytes, version 2, described by the commit
        client = _lambda(moto_server)
        for name in STACKS[env].values():
            version = client.get_function(FunctionName=name, Qualifier="2")["Configuration"]
            assert (version["CodeSha256"], version["Description"]) == (PACKAGE_SHA, SHA)
        # AND live serves version 2 on the API and rotation functions, remembering 1
        for variable in ("API_FUNCTION_NAME", "ROTATE_FUNCTION_NAME"):
            alias = _live(moto_server, env, variable)
            assert alias["FunctionVersion"] == "2"
            assert json.loads(alias["Description"]) == {"previous_version": "1"}
        assert f"### Release {SHA} to {env}" in release.summary
        assert '"status": 200' in release.step("smoke").log
    # AND each environment's migration job ran at version 2, then its API's /healthz
    assert [(c.function, c.qualifier, c.event.get("path", c.event)) for c in stacks.calls] == [
        ("inventory-staging-migrate", "2", {"action": "upgrade", "revision": "head"}),
        ("inventory-staging-api", "2", "/healthz"),
        ("inventory-production-migrate", "2", {"action": "upgrade", "revision": "head"}),
        ("inventory-production-api", "2", "/healthz"),
    ]


def test_staging_smoke_failure_leaves_production_untouched(
    make_runner, moto_server, broken_gateway, gateway, stacks
):
    # GIVEN a release whose staging API cannot reach its database from outside
    runner = make_runner(
        {"staging": broken_gateway.url, "production": gateway.url},
        env_overrides={"SMOKE_DEADLINE_SECONDS": "2"},
    )
    # WHEN the workflow runs
    results = runner.run()
    # THEN staging promoted, failed its smoke test and rolled back both aliases
    staging = _release(results, "staging")
    assert staging.step("promote").outcome == "success"
    assert staging.step("smoke").outcome == "failure"
    assert "HTTP 503" in staging.step("smoke").log
    assert staging.step("rollback").outcome == "success", staging.log()
    assert "::error title=Rolled back::" in staging.step("rollback").log
    for variable in ("API_FUNCTION_NAME", "ROTATE_FUNCTION_NAME"):
        alias = _live(moto_server, "staging", variable)
        assert alias["FunctionVersion"] == "1"
        assert json.loads(alias["Description"]) == {"rolled_back_from": "2"}
    # AND the run fails, production never starts and nothing there changed
    assert results["staging"].result == "failure"
    assert results["production"].result == "skipped"
    _untouched(moto_server, stacks, "production")


def test_production_waits_for_approval(make_runner, moto_server, gateway, stacks):
    # GIVEN the production environment's reviewers reject the release
    runner = make_runner(
        {"staging": gateway.url, "production": gateway.url}, approvals={"production": False}
    )
    results = runner.run()
    # THEN staging has it, production does not
    assert results["staging"].result == "success"
    production = _release(results, "production")
    assert production.rejected and production.steps == []
    assert results["production"].result == "failure"
    assert runner.assumed == [ROLES["staging"]]
    _untouched(moto_server, stacks, "production")


def test_failed_migration_stops_staging_before_promote(make_runner, moto_server, gateway, stacks):
    # GIVEN a staging migration job that reports failure
    migrate = STACKS["staging"]["MIGRATE_FUNCTION_NAME"]
    stacks.on(migrate, lambda event, qualifier: {"ok": False, "error": "could not lock"})
    results = make_runner({"staging": gateway.url, "production": gateway.url}).run()
    # THEN staging fails at migrate; promote, smoke and rollback never run
    staging = _release(results, "staging")
    assert staging.step("migrate").outcome == "failure"
    assert "reported failure" in staging.step("migrate").log
    for step in ("promote", "smoke", "rollback"):
        assert staging.step(step).outcome == "skipped", step
    assert _live(moto_server, "staging")["FunctionVersion"] == "1"
    assert results["production"].result == "skipped"
    _untouched(moto_server, stacks, "production")


def test_new_version_failing_healthz_is_never_promoted(make_runner, moto_server, gateway, stacks):
    # GIVEN a new staging API version that answers 503 when invoked directly
    stacks.on(STACKS["staging"]["API_FUNCTION_NAME"], healthz_handler(503, '{"title": "down"}'))
    results = make_runner({"staging": gateway.url, "production": gateway.url}).run()
    # THEN promote refuses, no alias moves, nothing to roll back, production untouched
    staging = _release(results, "staging")
    assert staging.step("promote").outcome == "failure"
    assert "answered GET /healthz with 503" in staging.step("promote").log
    assert staging.step("smoke").outcome == "skipped"
    assert staging.step("rollback").outcome == "skipped"
    for variable in ("API_FUNCTION_NAME", "ROTATE_FUNCTION_NAME"):
        assert _live(moto_server, "staging", variable)["FunctionVersion"] == "1"
    assert results["production"].result == "skipped"
    _untouched(moto_server, stacks, "production")


def test_tampered_package_is_never_published(make_runner, moto_server, gateway, stacks):
    runner = make_runner({"staging": gateway.url, "production": gateway.url})
    assert runner.run_job("build").result == "success"
    # WHEN the artifact changes between the build and the release
    stored = runner.root / "_artifacts" / "lambda-arm64" / "lambda.zip"
    stored.write_bytes(small_zip("something else"))
    results = {job: runner.run_job(job) for job in ("staging", "production")}
    # THEN the digest check fails before the role is assumed and nothing is published
    staging = _release(results, "staging")
    assert staging.step("verify").outcome == "failure"
    assert staging.step("publish").outcome == "skipped"
    assert runner.assumed == []
    assert results["production"].result == "skipped"
    for env in STACKS:
        _untouched(moto_server, stacks, env)


def test_production_checks_the_zip_again(make_runner, moto_server, gateway, stacks):
    runner = make_runner({"staging": gateway.url, "production": gateway.url})
    for job in ("build", "staging"):
        assert runner.run_job(job).result == "success"
    # WHEN the artifact changes after staging released it
    stored = runner.root / "_artifacts" / "lambda-arm64" / "lambda.zip"
    stored.write_bytes(small_zip("something else"))
    production = runner.run_job("production")
    # THEN production refuses it: what it would release is not what staging tested
    assert production.called["release"].step("verify").outcome == "failure"
    assert runner.assumed == [ROLES["staging"]]
    _untouched(moto_server, stacks, "production")


def test_missing_variable_stops_before_anything_runs(make_runner, moto_server, gateway, stacks):
    runner = make_runner(
        {"staging": gateway.url, "production": gateway.url},
        environment_vars={"staging": {"API_BASE_URL": ""}},
    )
    staging = _release(runner.run(), "staging")
    assert staging.result == "failure"
    assert staging.step("preflight").outcome == "failure"
    assert "variable API_BASE_URL is not set for the staging environment" in (
        staging.step("preflight").log
    )
    assert [s.id for s in staging.steps if s.outcome != "skipped"] == ["preflight"]


def test_other_branches_do_not_deploy(make_runner, gateway):
    results = make_runner(
        {"staging": gateway.url, "production": gateway.url}, ref="refs/heads/feature"
    ).run()
    assert {job: r.result for job, r in results.items()} == {
        "build": "skipped",
        "staging": "skipped",
        "production": "skipped",
    }
