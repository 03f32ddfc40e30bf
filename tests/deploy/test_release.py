"""The release steps through the CLI, against moto's Lambda control plane with handlers run
in-process for Invoke (tests/support/deploy_lambda.py)."""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest

from deploy.cli import main
from deploy.zipper import file_hashes
from service.jobs.migrate import parse_request
from tests.support.deploy_fakes import AARCH64, X86_64, elf_header
from tests.support.deploy_lambda import NAMES, healthz_handler, small_zip

API, MIGRATE, ROTATE = (
    NAMES["API_FUNCTION_NAME"],
    NAMES["MIGRATE_FUNCTION_NAME"],
    NAMES["ROTATE_FUNCTION_NAME"],
)


def _zip_with(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def released(stack, tmp_path, capsys):
    """Version 2 published on all three functions; the release file's path."""
    package = tmp_path / "lambda.zip"
    package.write_bytes(small_zip("v2"))
    release = tmp_path / "release.json"
    assert main(["publish", "--zip", str(package), "--output", str(release)]) == 0
    capsys.readouterr()
    return release


def _error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


# ---------------------------------------------------------------------------
# publish
# ---------------------------------------------------------------------------


def test_publish_updates_all_three_and_writes_release_file(stack, tmp_path, capsys):
    # GIVEN a new zip
    package = tmp_path / "lambda.zip"
    package.write_bytes(small_zip("v2"))
    # WHEN publish runs as CI runs it
    args = ["publish", "--zip", str(package), "--description", "abc123"]
    assert main([*args, "--output", str(tmp_path / "release.json")]) == 0
    # THEN every function has a new version with exactly this code
    printed = json.loads(capsys.readouterr().out)
    assert json.loads((tmp_path / "release.json").read_text()) == printed
    _hex, b64 = file_hashes(package)
    for role, name in (("api", API), ("migrate", MIGRATE), ("rotate", ROTATE)):
        assert printed[role] == {"function_name": name, "version": "2", "code_sha256": b64}
        version = stack.client.get_function(FunctionName=name, Qualifier="2")["Configuration"]
        assert version["CodeSha256"] == b64
        assert version["Description"] == "abc123"
    # AND no alias has moved yet
    assert stack.alias()["FunctionVersion"] == "1"
    assert stack.alias("ROTATE_FUNCTION_NAME")["FunctionVersion"] == "1"


def test_publish_refuses_zip_for_another_architecture(stack, tmp_path, capsys):
    package = tmp_path / "x86.zip"
    package.write_bytes(_zip_with(("ext/_x.cpython-312-x86_64-linux-gnu.so", elf_header(X86_64))))
    assert main(["publish", "--zip", str(package)]) == 1
    assert _error_line(capsys) == (
        "error: the zip holds x86_64 extensions but inventory-api runs on arm64; "
        "build with: python -m deploy package --arch arm64"
    )
    assert stack.versions() == ["$LATEST", "1"]


@pytest.mark.parametrize(
    "member",
    [
        ("ext/_x.cpython-312-aarch64-linux-gnu.so", elf_header(AARCH64)),
        ("service/__pycache__/app.cpython-312.pyc", b"\x00"),
    ],
    ids=["extension", "bytecode"],
)
def test_publish_refuses_cp312_zip_onto_python313(stack, tmp_path, capsys, member):
    # GIVEN the functions run python3.13 (e.g. Terraform's lambda_runtime was raised)
    for name in NAMES.values():
        stack.client.update_function_configuration(FunctionName=name, Runtime="python3.13")
    before = stack.client.get_function(FunctionName=API)["Configuration"]["CodeSha256"]
    package = tmp_path / "cp312.zip"
    package.write_bytes(_zip_with(member))
    # WHEN a zip built for CPython 3.12 is published THEN nothing is uploaded
    assert main(["publish", "--zip", str(package)]) == 1
    line = _error_line(capsys)
    assert line.startswith(
        "error: the zip is built for CPython 3.12 but inventory-api runs python3.13; "
        "build with: python -m deploy package --runtime python3.13"
    )
    assert stack.client.get_function(FunctionName=API)["Configuration"]["CodeSha256"] == before
    assert stack.versions() == ["$LATEST", "1"]


def test_publish_from_s3_object(stack, capsys):
    s3 = boto3.client("s3")
    s3.create_bucket(
        Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    s3.put_object(Bucket="artifacts", Key="lambda.zip", Body=small_zip("from s3"))
    assert main(["publish", "--s3-bucket", "artifacts", "--s3-key", "lambda.zip"]) == 0
    assert json.loads(capsys.readouterr().out)["api"]["version"] == "2"


def test_publish_without_code_fails_clearly(stack, tmp_path, capsys):
    assert main(["publish"]) == 1
    assert "give either --zip or both --s3-bucket and --s3-key" in capsys.readouterr().err
    assert main(["publish", "--zip", str(tmp_path / "missing.zip")]) == 1
    assert "python -m deploy package" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# promote and rollback: both aliases, after the new version's /healthz
# ---------------------------------------------------------------------------


def test_promote_checks_health_then_moves_both_aliases(stack, released, capsys):
    stack.runtime.on(API, healthz_handler(200))
    # WHEN the release is promoted
    assert main(["promote", "--release", str(released)]) == 0
    result = json.loads(capsys.readouterr().out)
    # THEN the new API version answered an API Gateway GET /healthz event first
    (call,) = stack.runtime.calls
    assert (call.function, call.qualifier) == (API, "2")
    assert call.event["httpMethod"] == "GET" and call.event["path"] == "/healthz"
    assert call.event["requestContext"]["path"] == "/healthz"
    # AND live moved on the API and the rotation function, each remembering version 1
    assert result == {
        "alias": "live",
        "healthz": 200,
        "api": {"function_name": API, "version": "2", "previous": "1", "changed": True},
        "rotate": {"function_name": ROTATE, "version": "2", "previous": "1", "changed": True},
    }
    for variable in ("API_FUNCTION_NAME", "ROTATE_FUNCTION_NAME"):
        alias = stack.alias(variable)
        assert alias["FunctionVersion"] == "2"
        assert json.loads(alias["Description"]) == {"previous_version": "1"}
    # WHEN promoted again (a re-run) THEN nothing changes and the rollback target survives
    assert main(["promote", "--version", "2", "--rotate-version", "2"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["api"] == {"function_name": API, "version": "2", "previous": "1", "changed": False}


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (
            healthz_handler(503, '{"title": "database unavailable"}'),
            "error: version 2 of inventory-api answered GET /healthz with 503: "
            '{"title": "database unavailable"}; the alias was not moved',
        ),
        (
            healthz_handler(404, "nope"),
            "error: version 2 of inventory-api answered GET /healthz with 404: nope; "
            "the alias was not moved",
        ),
    ],
    ids=["503", "404"],
)
def test_promote_refuses_anything_but_200(stack, released, capsys, handler, expected):
    stack.runtime.on(API, handler)
    assert main(["promote", "--release", str(released)]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == expected
    assert "--- last log lines of inventory-api:2 ---" in err
    assert stack.alias()["FunctionVersion"] == "1"
    assert stack.alias("ROTATE_FUNCTION_NAME")["FunctionVersion"] == "1"


def test_promote_refuses_a_version_that_raises_and_prints_its_log_tail(stack, released, capsys):
    def broken(event, qualifier):
        raise ImportError("No module named 'service.missing'")

    stack.runtime.on(API, broken)
    assert main(["promote", "--release", str(released)]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == (
        "error: version 2 of inventory-api failed on GET /healthz "
        "(ImportError: No module named 'service.missing'); the alias was not moved"
    )
    assert "ImportError: No module named 'service.missing'" in err.split("--- last log")[1]
    assert stack.alias()["FunctionVersion"] == "1"


def test_promote_undoes_the_api_move_when_the_rotation_alias_cannot_move(stack, released, capsys):
    stack.runtime.on(API, healthz_handler(200))
    stack.client.delete_alias(FunctionName=ROTATE, Name="live")
    assert main(["promote", "--release", str(released)]) == 1
    assert _error_line(capsys).startswith(
        "error: alias live of function inventory-rotate does not exist in eu-west-1 "
        "(lambda:GetAlias): Terraform creates it (terraform/lambda.tf)"
    )
    assert stack.alias()["FunctionVersion"] == "1"


def test_promote_needs_versions_for_both_functions(stack, capsys):
    assert main(["promote"]) == 1
    assert "promote needs --release" in _error_line(capsys)
    assert main(["promote", "--version", "2"]) == 1
    assert "both --version and --rotate-version" in _error_line(capsys)


def test_rollback_restores_both_aliases_once(stack, released, capsys):
    stack.runtime.on(API, healthz_handler(200))
    assert main(["promote", "--release", str(released)]) == 0
    capsys.readouterr()
    # WHEN rolled back THEN both aliases are back on 1
    assert main(["rollback"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "alias": "live",
        "api": {"function_name": API, "version": "1", "rolled_back_from": "2"},
        "rotate": {"function_name": ROTATE, "version": "1", "rolled_back_from": "2"},
    }
    assert stack.alias()["FunctionVersion"] == "1"
    assert stack.alias("ROTATE_FUNCTION_NAME")["FunctionVersion"] == "1"
    # AND a second rollback does not flip forward to the bad version
    assert main(["rollback"]) == 1
    assert "records no previous version" in _error_line(capsys)
    assert stack.alias()["FunctionVersion"] == "1"
    assert stack.alias("ROTATE_FUNCTION_NAME")["FunctionVersion"] == "1"


def test_rollback_to_explicit_versions(stack, released, capsys):
    assert main(["rollback", "--version", "2", "--rotate-version", "2"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["api"]["version"], result["rotate"]["version"]) == ("2", "2")


# ---------------------------------------------------------------------------
# migrate: the real job contract, never $LATEST, the log tail on failure
# ---------------------------------------------------------------------------


def _migration_job(event, qualifier):
    """The job's real request parsing; a result shaped like service/jobs/migrate.py's."""
    print(f"migration job: {event}")
    request = parse_request(event)
    result = {"ok": True, "action": request.action, "before": "0001", "after": "0001"}
    if request.action == "upgrade":
        result["after"] = request.revision
    if request.action == "history":
        result["history"] = [{"revision": "0001", "down_revision": None, "doc": "init"}]
    return result


@pytest.mark.parametrize(
    ("args", "event"),
    [
        ([], {"action": "upgrade", "revision": "head"}),
        (["--action", "upgrade", "--revision", "0002"], {"action": "upgrade", "revision": "0002"}),
        (["--action", "current"], {"action": "current"}),
        (["--action", "history"], {"action": "history"}),
    ],
    ids=["upgrade", "upgrade-to", "current", "history"],
)
def test_migrate_every_action_is_accepted_by_the_job(stack, released, capsys, args, event):
    stack.runtime.on(MIGRATE, _migration_job)
    assert main(["migrate", "--release", str(released), *args]) == 0, capsys.readouterr().err
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is True and result["action"] == event["action"]
    (call,) = stack.runtime.calls
    assert (call.function, call.qualifier, call.event) == (MIGRATE, "2", event)
    assert call.log_type == "Tail"


def test_migrate_revision_only_with_upgrade(stack, released, capsys):
    assert (
        main(["migrate", "--release", str(released), "--action", "current", "--revision", "x"]) == 1
    )
    assert _error_line(capsys) == "error: --revision applies to upgrade only, not to current"
    assert stack.runtime.calls == []


def test_migrate_never_invokes_latest(stack, tmp_path, capsys):
    # Without a release file or version
    assert main(["migrate"]) == 1
    assert _error_line(capsys) == (
        "error: migrate needs --release (the file publish wrote) or --version"
    )
    # With a release file that has no migrate entry
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"api": {"function_name": API, "version": "2"}}))
    assert main(["migrate", "--release", str(partial)]) == 1
    assert "has no migrate version; migrate never falls back to $LATEST" in _error_line(capsys)
    assert stack.runtime.calls == []


def test_migrate_failure_prints_the_log_tail_then_one_error_line(stack, released, capsys):
    def failing(event, qualifier):
        print("connecting to the database")
        raise RuntimeError("could not get the migration lock within 120s")

    stack.runtime.on(MIGRATE, failing)
    assert main(["migrate", "--release", str(released)]) == 1
    err = capsys.readouterr().err
    tail, _, last = err.strip().rpartition("\n")
    assert last == (
        "error: migration function inventory-migrate (version 2) failed (Unhandled): "
        "RuntimeError: could not get the migration lock within 120s"
    )
    assert "--- last log lines of inventory-migrate:2 ---" in tail
    assert "connecting to the database" in tail
    assert "Traceback (most recent call last)" in tail  # the function's, from its log


def test_migrate_result_without_ok_fails(stack, released, capsys):
    stack.runtime.on(MIGRATE, lambda event, qualifier: {"ok": False, "error": "locked"})
    assert main(["migrate", "--release", str(released)]) == 1
    assert "reported failure: " in _error_line(capsys)


def test_release_file_for_other_functions_is_refused(stack, released, capsys, monkeypatch):
    monkeypatch.setenv("MIGRATE_FUNCTION_NAME", "inventory-staging-migrate")
    assert main(["migrate", "--release", str(released)]) == 1
    assert _error_line(capsys).endswith("is for inventory-migrate, not inventory-staging-migrate")
