"""deploy.yml, run for real: its `run:` steps in bash, in order, with GitHub's rules for
skipped steps after a failure; the release CLI against moto's server; the smoke test
against the real handler behind the local API Gateway (`python -m deploy serve`).

Only what needs GitHub or the network is stood in for: the `uses:` actions (checkout,
setup-python, configure-aws-credentials exports fake credentials like the real one;
the artifact actions are modelled by the runner), the pip installs (the venv has the
packages) and the package build (tests/deploy builds real packages; here a small zip).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from moto.awslambda.responses import LambdaResponse

from tests.cicd.conftest import FAKE_CREDENTIALS, REGION
from tests.cicd.runner import Runner, minimal_env, python_shims
from tests.cicd.workflows import REPO, load
from tests.deploy.test_release import NAMES, _zip

SHA = "0123456789abcdef0123456789abcdef01234567"
ROLE = "arn:aws:iam::123456789012:role/inventory-prod-github-deploy"
MIGRATED = {"ok": True, "before": None, "after": "0001"}


@pytest.fixture
def invocations(monkeypatch) -> list[dict[str, Any]]:
    """Every Lambda invoke the moto server answers: function, qualifier, event."""
    calls: list[dict[str, Any]] = []
    original = LambdaResponse.invoke

    def record(self):
        # Read from the request: moto's backend is handed no qualifier (it looks for
        # `qualifier`, the API sends `Qualifier`).
        calls.append(
            {
                "function": unquote(self.path.rsplit("/", 2)[-2]),
                "qualifier": self.querystring.get("Qualifier", [None])[0],
                "event": json.loads(self.body),
            }
        )
        return original(self)

    monkeypatch.setattr(LambdaResponse, "invoke", record)
    return calls


@pytest.fixture
def make_runner(tmp_path, moto, aws_files):
    """A runner for deploy.yml with the production variables pointing at moto and `base_url`."""

    def make(base_url: str, *, ref: str = "refs/heads/main", **overrides: Any) -> Runner:
        def assume_role(_workspace: Path, env: dict[str, str], with_: dict[str, Any]):
            # Like the action: credentials only for the steps after this one.
            ok = with_.get("role-to-assume") == ROLE and with_.get("aws-region") == REGION
            exported = {**FAKE_CREDENTIALS, "AWS_REGION": str(with_.get("aws-region"))}
            with open(env["GITHUB_ENV"], "a") as file:
                file.writelines(f"{key}={value}\n" for key, value in exported.items())
            return ok, {}

        def package(workspace: Path, _env: dict[str, str], _with: dict[str, Any]):
            (workspace / "build").mkdir(exist_ok=True)
            (workspace / "build" / "lambda.zip").write_bytes(_zip("release 2"))
            return True, {}

        variables = {
            "AWS_DEPLOY_ROLE_ARN": ROLE,
            "AWS_REGION": REGION,
            **NAMES,
            "API_BASE_URL": base_url,
            **overrides.pop("vars", {}),
        }
        shims = python_shims(tmp_path / "bin", sys.executable)
        return Runner(
            workflow=load("deploy.yml"),
            root=tmp_path / "runner",
            vars=variables,
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
                "AWS_ENDPOINT_URL": moto.url,
            },
            uses_handlers={"aws-actions/configure-aws-credentials": assume_role},
            substitutes={"install": lambda *_: (True, {}), "package": package},
            **overrides,
        )

    return make


def _alias(moto) -> dict[str, Any]:
    return moto.client("lambda").get_alias(FunctionName=NAMES["API_FUNCTION_NAME"], Name="live")


def _ran(job) -> list[str]:
    return [step.id or step.name for step in job.steps if step.outcome != "skipped"]


def test_release_goes_live_in_order(make_runner, moto, gateway, invocations):
    # GIVEN a migration job that succeeds and a healthy API behind the gateway
    moto.inject_invoke_results(MIGRATED)
    # WHEN the workflow runs on a push to main
    results = make_runner(gateway.url).run()
    build, deploy = results["build"], results["deploy"]
    # THEN both jobs pass, every release step ran in order and rollback did not
    assert build.result == "success", build.log()
    assert deploy.result == "success", deploy.log()
    ids = [step for step in _ran(deploy) if step in {"publish", "migrate", "promote", "smoke"}]
    assert ids == ["publish", "migrate", "promote", "smoke"]
    assert deploy.step("rollback").outcome == "skipped"
    # AND the three functions have version 2 with the commit as description
    client = moto.client("lambda")
    for name in NAMES.values():
        version = client.get_function(FunctionName=name, Qualifier="2")["Configuration"]
        assert version["Description"] == SHA
    # AND the migration job was invoked once, at the version just published, before promote
    assert invocations == [
        {
            "function": NAMES["MIGRATE_FUNCTION_NAME"],
            "qualifier": "2",
            "event": {"action": "upgrade", "revision": "head"},
        }
    ]
    # AND live serves version 2, remembering 1 for a rollback
    alias = _alias(moto)
    assert alias["FunctionVersion"] == "2"
    assert json.loads(alias["Description"]) == {"previous_version": "1"}
    # AND the smoke test reached the real handler, and the summary shows the release file
    assert '"status": 200' in deploy.step("smoke").log
    assert '"version": "2"' in deploy.summary
    assert build.outputs["sha256"] and len(build.outputs["sha256"]) == 64


def test_failed_smoke_test_rolls_back_and_fails_the_job(
    make_runner, moto, broken_gateway, invocations
):
    # GIVEN a release whose API cannot reach its database (/healthz answers 503)
    moto.inject_invoke_results(MIGRATED)
    runner = make_runner(broken_gateway.url, env_overrides={"SMOKE_DEADLINE_SECONDS": "2"})
    # WHEN the workflow runs
    deploy = runner.run()["deploy"]
    # THEN promote moved the alias, the smoke test failed, and rollback moved it back
    assert deploy.step("promote").outcome == "success"
    assert deploy.step("smoke").outcome == "failure"
    assert "HTTP 503" in deploy.step("smoke").log
    assert deploy.step("rollback").outcome == "success", deploy.log()
    assert "::error title=Rolled back::" in deploy.step("rollback").log
    alias = _alias(moto)
    assert alias["FunctionVersion"] == "1"
    assert json.loads(alias["Description"]) == {"rolled_back_from": "2"}
    # AND the job still fails (a rolled-back release is not a success)
    assert deploy.result == "failure"


def test_failed_migration_fails_the_job_before_promote(make_runner, moto, gateway, invocations):
    # GIVEN a migration job that reports failure
    moto.inject_invoke_results({"ok": False, "error": "could not get the migration lock"})
    # WHEN the workflow runs
    deploy = make_runner(gateway.url).run()["deploy"]
    # THEN the job fails at migrate; promote, smoke and rollback never run
    assert deploy.result == "failure"
    assert deploy.step("migrate").outcome == "failure"
    assert "reported failure" in deploy.step("migrate").log
    for step in ("promote", "smoke", "rollback"):
        assert deploy.step(step).outcome == "skipped", step
    # AND the alias never moved (version 2 exists but is not live)
    assert _alias(moto)["FunctionVersion"] == "1"
    assert len(invocations) == 1


def test_tampered_package_is_never_published(make_runner, moto, gateway, invocations):
    moto.inject_invoke_results(MIGRATED)
    runner = make_runner(gateway.url)
    assert runner.run_job("build").result == "success"
    # WHEN the artifact changes between the build and the deploy job
    stored = runner.root / "_artifacts" / "lambda-arm64" / "lambda.zip"
    stored.write_bytes(_zip("something else"))
    deploy = runner.run_job("deploy")
    # THEN the digest check fails before the role is assumed and nothing is published
    assert deploy.step("verify").outcome == "failure"
    assert [s.outcome for s in deploy.steps if s.uses and "configure-aws" in s.uses] == ["skipped"]
    assert deploy.step("publish").outcome == "skipped"
    versions = moto.client("lambda").list_versions_by_function(
        FunctionName=NAMES["API_FUNCTION_NAME"]
    )["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1"]
    assert invocations == []


def test_missing_variable_stops_before_anything_runs(make_runner, moto, gateway):
    deploy = make_runner(gateway.url, vars={"API_BASE_URL": ""}).run()["deploy"]
    assert deploy.result == "failure"
    assert deploy.step("preflight").outcome == "failure"
    assert "variable API_BASE_URL is not set" in deploy.step("preflight").log
    assert _ran(deploy) == ["preflight"]


def test_other_branches_do_not_deploy(make_runner, moto, gateway):
    results = make_runner(gateway.url, ref="refs/heads/feature").run()
    assert {job: r.result for job, r in results.items()} == {
        "build": "skipped",
        "deploy": "skipped",
    }
