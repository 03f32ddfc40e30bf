"""Release steps on boto3: publish code, run the migration job, promote and roll back the alias.

Every function takes the Lambda client as an argument, so tests inject a moto-backed
or fake client. The alias records the version it replaced in its description
(`{"previous_version": "7"}`), which is how `rollback` knows where to go back to in
a later CI job.
"""

from __future__ import annotations

import io
import json
import struct
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy.errors import DeployError

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

ALIAS = "live"
MIGRATE_EVENT = {"action": "upgrade", "revision": "head"}


@dataclass(frozen=True)
class Functions:
    """The three function names (Terraform outputs api/migrate/rotate_function_name)."""

    api: str
    migrate: str
    rotate: str

    def by_role(self) -> dict[str, str]:
        """Role name to function name."""
        return {"api": self.api, "migrate": self.migrate, "rotate": self.rotate}


def code_location(
    zip_path: Path | None,
    s3_bucket: str | None = None,
    s3_key: str | None = None,
    s3_version: str | None = None,
) -> dict[str, Any]:
    """The UpdateFunctionCode arguments for a local zip or an S3 object."""
    if zip_path is not None:
        if not zip_path.is_file():
            raise DeployError(f"{zip_path} not found; build it with: python -m deploy package")
        return {"ZipFile": zip_path.read_bytes()}
    if s3_bucket and s3_key:
        location = {"S3Bucket": s3_bucket, "S3Key": s3_key}
        return location | ({"S3ObjectVersion": s3_version} if s3_version else {})
    raise DeployError("give either --zip or both --s3-bucket and --s3-key")


def zip_architecture(data: bytes) -> str | None:
    """The Lambda architecture of the first ELF extension in a zip (None if it has none)."""
    machines = {183: "arm64", 62: "x86_64"}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.endswith(".so") or ".so." in name:
                with archive.open(name) as f:
                    head = f.read(20)
                if head[:4] == b"\x7fELF" and len(head) == 20:
                    return machines.get(struct.unpack_from("<H", head, 18)[0], "unknown")
    return None


def check_architectures(client: LambdaClient, functions: Functions, data: bytes) -> None:
    """Refuse to upload a zip built for another architecture than the functions run on."""
    built_for = zip_architecture(data)
    if built_for is None:
        return
    for name in functions.by_role().values():
        runs_on = client.get_function_configuration(FunctionName=name).get(
            "Architectures", ["x86_64"]
        )
        if built_for not in runs_on:
            raise DeployError(
                f"the zip holds {built_for} extensions but {name} runs on "
                f"{', '.join(runs_on)}; build with: python -m deploy package "
                f"--arch {runs_on[0]}"
            )


def _log(message: str) -> None:
    print(message, file=sys.stderr)


def publish(
    client: LambdaClient,
    functions: Functions,
    code: Mapping[str, Any],
    description: str = "",
    delay: int = 2,
    max_attempts: int = 150,
) -> dict[str, Any]:
    """Upload the code to every function, wait until updated, publish a version of each.

    Returns `{"api": {"function_name", "version", "code_sha256"}, "migrate": ..., "rotate": ...}`.
    `PublishVersion` gets the CodeSha256 that the update returned, so a concurrent
    update of the same function cannot slip another code into the version.
    """
    if "ZipFile" in code:
        check_architectures(client, functions, code["ZipFile"])
    shas = {}
    for role, name in functions.by_role().items():
        _log(f"updating code of {role} function {name}")
        shas[role] = client.update_function_code(FunctionName=name, **code)["CodeSha256"]
    waiter = client.get_waiter("function_updated_v2")
    result: dict[str, Any] = {}
    for role, name in functions.by_role().items():
        waiter.wait(FunctionName=name, WaiterConfig={"Delay": delay, "MaxAttempts": max_attempts})
        version = client.publish_version(
            FunctionName=name, CodeSha256=shas[role], Description=description[:256]
        )["Version"]
        _log(f"published {name} version {version}")
        result[role] = {"function_name": name, "version": version, "code_sha256": shas[role]}
    return result


def migrate(
    client: LambdaClient,
    function: str,
    qualifier: str | None = None,
    event: Mapping[str, Any] = MIGRATE_EVENT,
) -> dict[str, Any]:
    """Invoke the migration job synchronously and return its result.

    :raise DeployError: on a FunctionError (the job raised) or a result without `ok: true`.
    """
    arguments: dict[str, Any] = {
        "FunctionName": function,
        "InvocationType": "RequestResponse",
        "Payload": json.dumps(dict(event)).encode(),
    }
    if qualifier:
        arguments["Qualifier"] = qualifier
    response = client.invoke(**arguments)
    raw = response["Payload"].read()
    try:
        payload = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        payload = raw.decode("utf-8", errors="replace")
    if response.get("FunctionError"):
        detail = payload
        if isinstance(payload, dict):
            detail = f"{payload.get('errorType', 'Error')}: {payload.get('errorMessage', '')}"
        raise DeployError(
            f"migration function {function} failed ({response['FunctionError']}): {detail}"
        )
    if not isinstance(payload, dict) or payload.get("ok") is not True:
        raise DeployError(f"migration function {function} reported failure: {json.dumps(payload)}")
    return payload


def _recorded_previous(description: str) -> str | None:
    try:
        value = json.loads(description or "{}").get("previous_version")
    except (json.JSONDecodeError, AttributeError):
        return None
    return str(value) if value else None


def promote(
    client: LambdaClient, function: str, version: str, alias: str = ALIAS
) -> dict[str, Any]:
    """Point the alias at `version`, recording the version it pointed at before."""
    current = client.get_alias(FunctionName=function, Name=alias)
    previous = current["FunctionVersion"]
    if previous == version:
        recorded = _recorded_previous(current.get("Description", ""))
        return {"alias": alias, "version": version, "previous": recorded, "changed": False}
    client.update_alias(
        FunctionName=function,
        Name=alias,
        FunctionVersion=version,
        Description=json.dumps({"previous_version": previous}),
    )
    _log(f"alias {alias} of {function}: {previous} -> {version}")
    return {"alias": alias, "version": version, "previous": previous, "changed": True}


def rollback(
    client: LambdaClient, function: str, version: str | None = None, alias: str = ALIAS
) -> dict[str, Any]:
    """Point the alias back at the version recorded by `promote` (or at `version`)."""
    current = client.get_alias(FunctionName=function, Name=alias)
    target = version or _recorded_previous(current.get("Description", ""))
    if not target:
        raise DeployError(
            f"alias {alias} of {function} records no previous version "
            "(already rolled back?); pass --version"
        )
    bad = current["FunctionVersion"]
    # No previous_version any more: a second rollback must not flip back to the bad version.
    client.update_alias(
        FunctionName=function,
        Name=alias,
        FunctionVersion=target,
        Description=json.dumps({"rolled_back_from": bad}),
    )
    _log(f"alias {alias} of {function}: rolled back {bad} -> {target}")
    return {"alias": alias, "version": target, "rolled_back_from": bad}
