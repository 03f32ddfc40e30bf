"""Release steps against moto's Lambda control plane (and a fake client for invoke)."""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest
from moto import mock_aws

from deploy import commands, release
from deploy.cli import main
from deploy.errors import DeployError
from deploy.zipper import file_hashes
from tests.deploy.fakes import X86_64, elf_header

NAMES = {
    "API_FUNCTION_NAME": "inventory-api",
    "MIGRATE_FUNCTION_NAME": "inventory-migrate",
    "ROTATE_FUNCTION_NAME": "inventory-rotate",
}


def _zip(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("service/lambda_handler.py", text)
    return buffer.getvalue()


@pytest.fixture
def aws(aws_env, monkeypatch):
    """Three functions as Terraform creates them; the API one with alias live -> 1."""
    for name, value in NAMES.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        role = boto3.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")[
            "Role"
        ]["Arn"]
        client = boto3.client("lambda")
        for name in NAMES.values():
            client.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=role,
                Handler="service.lambda_handler.handler",
                Code={"ZipFile": _zip("v1")},
                Publish=True,
                Architectures=["arm64"],
            )
        client.create_alias(
            FunctionName=NAMES["API_FUNCTION_NAME"], Name="live", FunctionVersion="1"
        )
        yield client


def _alias(client):
    return client.get_alias(FunctionName=NAMES["API_FUNCTION_NAME"], Name="live")


def test_publish_updates_all_three_and_writes_release_file(aws, tmp_path, capsys):
    # GIVEN a new zip
    package = tmp_path / "lambda.zip"
    package.write_bytes(_zip("v2"))
    # WHEN publish runs as CI runs it
    code = main(
        [
            "publish",
            "--zip",
            str(package),
            "--description",
            "abc123",
            "--output",
            str(tmp_path / "release.json"),
        ]
    )
    # THEN every function has a new version with exactly this code
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert json.loads((tmp_path / "release.json").read_text()) == printed
    _hex, b64 = file_hashes(package)
    for role, name in (
        ("api", "inventory-api"),
        ("migrate", "inventory-migrate"),
        ("rotate", "inventory-rotate"),
    ):
        assert printed[role] == {"function_name": name, "version": "2", "code_sha256": b64}
        version = aws.get_function(FunctionName=name, Qualifier="2")["Configuration"]
        assert version["CodeSha256"] == b64
        assert version["Description"] == "abc123"
    # AND the alias has not moved yet
    assert _alias(aws)["FunctionVersion"] == "1"


def test_publish_refuses_zip_for_another_architecture(aws, tmp_path, capsys):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ext/_x.cpython-312-x86_64-linux-gnu.so", elf_header(X86_64))
    (tmp_path / "x86.zip").write_bytes(buffer.getvalue())
    assert main(["publish", "--zip", str(tmp_path / "x86.zip")]) == 1
    err = capsys.readouterr().err
    assert "the zip holds x86_64 extensions but inventory-api runs on arm64" in err
    assert "--arch arm64" in err
    assert aws.get_function(FunctionName="inventory-api")["Configuration"]["Version"] == "$LATEST"
    versions = aws.list_versions_by_function(FunctionName="inventory-api")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1"]


def test_publish_from_s3_object(aws, capsys):
    s3 = boto3.client("s3")
    s3.create_bucket(
        Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    s3.put_object(Bucket="artifacts", Key="lambda.zip", Body=_zip("from s3"))
    assert main(["publish", "--s3-bucket", "artifacts", "--s3-key", "lambda.zip"]) == 0
    assert json.loads(capsys.readouterr().out)["api"]["version"] == "2"


def test_publish_without_code_fails_clearly(aws, tmp_path, capsys):
    assert main(["publish"]) == 1
    assert "give either --zip or both --s3-bucket and --s3-key" in capsys.readouterr().err
    assert main(["publish", "--zip", str(tmp_path / "missing.zip")]) == 1
    assert "python -m deploy package" in capsys.readouterr().err


def test_promote_then_rollback_restores_previous_alias_target(aws, tmp_path, capsys):
    # GIVEN a published version 2
    package = tmp_path / "lambda.zip"
    package.write_bytes(_zip("v2"))
    assert main(["publish", "--zip", str(package), "--output", str(tmp_path / "r.json")]) == 0
    capsys.readouterr()
    # WHEN it is promoted
    assert main(["promote", "--release", str(tmp_path / "r.json")]) == 0
    promoted = json.loads(capsys.readouterr().out)
    # THEN the alias points at 2 and remembers 1
    assert promoted == {"alias": "live", "version": "2", "previous": "1", "changed": True}
    assert _alias(aws)["FunctionVersion"] == "2"
    assert json.loads(_alias(aws)["Description"]) == {"previous_version": "1"}
    # WHEN promoted again (a re-run) THEN nothing changes and the rollback target survives
    assert main(["promote", "--version", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["previous"] == "1"
    # WHEN rolled back THEN the alias is back on 1
    assert main(["rollback"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "alias": "live",
        "version": "1",
        "rolled_back_from": "2",
    }
    assert _alias(aws)["FunctionVersion"] == "1"
    # AND a second rollback does not flip forward to the bad version
    assert main(["rollback"]) == 1
    assert "records no previous version" in capsys.readouterr().err
    assert _alias(aws)["FunctionVersion"] == "1"


def test_rollback_to_explicit_version(aws, capsys):
    assert main(["rollback", "--version", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == "1"


def test_promote_needs_a_version(aws, capsys):
    assert main(["promote"]) == 1
    assert "promote needs --version or --release" in capsys.readouterr().err


def test_release_commands_need_function_names(monkeypatch, capsys):
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as exit_:
        main(["promote", "--version", "2"])
    assert exit_.value.code == 2
    assert "--api-function" in capsys.readouterr().err


class FakeLambda:
    """Answers invoke like Lambda does; records the calls."""

    def __init__(self, payload, function_error=None):
        self.payload = payload
        self.function_error = function_error
        self.calls = []

    def invoke(self, **kwargs):
        self.calls.append(kwargs)
        response = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(self.payload).encode())}
        if self.function_error:
            response["FunctionError"] = self.function_error
        return response


def test_migrate_success_invokes_synchronously_with_upgrade_head():
    fake = FakeLambda({"ok": True, "before": None, "after": "0001"})
    result = release.migrate(fake, "inventory-migrate", qualifier="3")
    assert result == {"ok": True, "before": None, "after": "0001"}
    call = fake.calls[0]
    assert call["FunctionName"] == "inventory-migrate"
    assert call["InvocationType"] == "RequestResponse"
    assert call["Qualifier"] == "3"
    assert json.loads(call["Payload"]) == {"action": "upgrade", "revision": "head"}


def test_migrate_function_error_fails_with_its_message():
    fake = FakeLambda(
        {"errorType": "OperationalError", "errorMessage": "(1045) Access denied", "stackTrace": []},
        function_error="Unhandled",
    )
    with pytest.raises(
        DeployError,
        match=r"inventory-migrate failed \(Unhandled\): "
        r"OperationalError: \(1045\) Access denied",
    ):
        release.migrate(fake, "inventory-migrate")
    assert "Qualifier" not in fake.calls[0]


@pytest.mark.parametrize(
    "payload", [{"ok": False, "error": "locked"}, {"after": "0001"}, None, "done"]
)
def test_migrate_failed_result_fails(payload):
    with pytest.raises(DeployError, match="reported failure"):
        release.migrate(FakeLambda(payload), "inventory-migrate")


def test_migrate_cli_uses_release_file_version_and_exit_codes(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("MIGRATE_FUNCTION_NAME", "inventory-migrate")
    (tmp_path / "r.json").write_text(json.dumps({"migrate": {"version": "4"}}))
    fake = FakeLambda({"ok": True, "before": "0001", "after": "0002"})
    monkeypatch.setattr(commands, "_client", lambda args, read_timeout=60: fake)
    assert main(["migrate", "--release", str(tmp_path / "r.json")]) == 0
    assert json.loads(capsys.readouterr().out)["after"] == "0002"
    assert fake.calls[0]["Qualifier"] == "4"
    failing = FakeLambda({"errorType": "RuntimeError", "errorMessage": "boom"}, "Unhandled")
    monkeypatch.setattr(commands, "_client", lambda args, read_timeout=60: failing)
    assert main(["migrate"]) == 1
    assert "error: migration function inventory-migrate failed" in capsys.readouterr().err
