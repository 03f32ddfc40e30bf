"""Release steps on boto3: publish code, run the migration job, promote and roll back.

Every function takes the Lambda client as an argument, so tests inject a moto-backed or
stubbed client. `promote` moves the alias `live` of the API function and of the rotation
function together (Secrets Manager invokes the rotation through that alias), so new
rotation code goes live only with a release that passed its checks, and `rollback`
restores both. Each alias records the version it replaced in its description
(`{"previous_version": "7"}`), which is how a later CI job knows where to go back to.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy import healthcheck, lambdas
from deploy.errors import DeployError
from deploy.packageinfo import zip_architecture, zip_python

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_lambda.type_defs import FunctionConfigurationResponseTypeDef

ALIAS = "live"
# UpdateFunctionCode takes at most 50 MB directly; larger zips must come from S3.
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024


@dataclass(frozen=True)
class Functions:
    """The three function names (Terraform outputs api/migrate/rotate_function_name)."""

    api: str
    migrate: str
    rotate: str

    def by_role(self) -> dict[str, str]:
        """Role name to function name."""
        return {"api": self.api, "migrate": self.migrate, "rotate": self.rotate}


@dataclass(frozen=True)
class Target:
    """A published version of a function."""

    function: str
    version: str


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
        data = zip_path.read_bytes()
        if len(data) > DIRECT_UPLOAD_LIMIT:
            raise DeployError(
                f"{zip_path} is {len(data) / 2**20:.1f} MB, over Lambda's 50 MB direct upload "
                "limit: upload it to S3 and publish with --s3-bucket/--s3-key"
            )
        return {"ZipFile": data}
    if s3_bucket and s3_key:
        location = {"S3Bucket": s3_bucket, "S3Key": s3_key}
        return location | ({"S3ObjectVersion": s3_version} if s3_version else {})
    raise DeployError("give either --zip or both --s3-bucket and --s3-key")


def _log(message: str) -> None:
    print(message, file=sys.stderr)


def check_package(data: bytes, configs: Mapping[str, FunctionConfigurationResponseTypeDef]) -> None:
    """Refuse a zip whose extensions or bytecode cannot run on a function's platform."""
    built_for, python = zip_architecture(data), zip_python(data)
    for name, config in configs.items():
        runs_on = config.get("Architectures", ["x86_64"])
        if built_for is not None and built_for not in runs_on:
            raise DeployError(
                f"the zip holds {built_for} extensions but {name} runs on "
                f"{', '.join(runs_on)}; build with: python -m deploy package "
                f"--arch {runs_on[0]}"
            )
        runtime = config.get("Runtime", "")
        if python is not None and runtime != f"python{python}":
            raise DeployError(
                f"the zip is built for CPython {python} but {name} runs "
                f"{runtime or 'a container image'}; build with: python -m deploy package "
                f"--runtime {runtime or 'python' + python} (the lock must support it), or "
                "set the functions' runtime in Terraform (lambda_runtime)"
            )


def publish(
    client: LambdaClient,
    functions: Functions,
    code: Mapping[str, Any],
    description: str = "",
) -> dict[str, Any]:
    """Upload the code to every function, wait until updated, publish a version of each.

    Returns `{"api": {"function_name", "version", "code_sha256"}, "migrate": ..., "rotate": ...}`.
    `PublishVersion` gets the CodeSha256 that the update returned, so a concurrent
    update of the same function cannot slip another code into the version; for a local
    zip that hash must also be the zip's own.
    """
    names = functions.by_role()
    if "ZipFile" in code:
        configs = {
            name: client.get_function_configuration(FunctionName=name) for name in names.values()
        }
        check_package(code["ZipFile"], configs)
        expected = base64.b64encode(hashlib.sha256(code["ZipFile"]).digest()).decode()
    else:
        expected = None
    shas = {}
    for role, name in names.items():
        _log(f"updating code of {role} function {name}")
        update = partial(client.update_function_code, FunctionName=name, **code)
        response = lambdas.retry_on_conflict(client, name, update)
        if expected is not None and response["CodeSha256"] != expected:
            raise DeployError(
                f"Lambda stored code with SHA-256 {response['CodeSha256']} for {name}, "
                f"but the zip's is {expected}: the upload was altered; nothing was published"
            )
        shas[role] = response["CodeSha256"]
    result: dict[str, Any] = {}
    for role, name in names.items():
        lambdas.wait_updated(client, name)
        publish_one = partial(
            client.publish_version,
            FunctionName=name,
            CodeSha256=shas[role],
            Description=description[:256],
        )
        version = lambdas.retry_on_conflict(client, name, publish_one)["Version"]
        _log(f"published {name} version {version}")
        result[role] = {"function_name": name, "version": version, "code_sha256": shas[role]}
    return result


def migration_event(action: str = "upgrade", revision: str | None = None) -> dict[str, str]:
    """The migration job's event (service/jobs/migrate.py parse_request): only `upgrade`
    takes a revision (default head)."""
    if action != "upgrade":
        if revision is not None:
            raise DeployError(f"--revision applies to upgrade only, not to {action}")
        return {"action": action}
    return {"action": "upgrade", "revision": revision or "head"}


def migrate(client: LambdaClient, target: Target, event: Mapping[str, Any]) -> dict[str, Any]:
    """Invoke the migration job's published version synchronously and return its result.

    :raise DeployError: on a FunctionError (the job raised) or a result without `ok: true`,
        with the invocation's log tail as details.
    """
    lambdas.wait_version_active(client, target.function, target.version)
    invocation = lambdas.invoke(client, target.function, target.version, dict(event))
    tail = lambdas.log_tail_block(invocation)
    where = f"migration function {target.function} (version {target.version})"
    if invocation.function_error:
        raise DeployError(
            f"{where} failed ({invocation.function_error}): {invocation.error_summary()}",
            details=tail,
        )
    payload = invocation.payload
    if not isinstance(payload, dict) or payload.get("ok") is not True:
        raise DeployError(f"{where} reported failure: {json.dumps(payload)}", details=tail)
    return payload


def recorded_previous(description: str) -> str | None:
    """The version an alias pointed at before `promote` moved it, from its description."""
    try:
        value = json.loads(description or "{}").get("previous_version")
    except (json.JSONDecodeError, AttributeError):
        return None
    return str(value) if value else None


def move_alias(client: LambdaClient, target: Target, alias: str = ALIAS) -> dict[str, Any]:
    """Point the alias at the target version, recording the version it pointed at before."""
    current = client.get_alias(FunctionName=target.function, Name=alias)
    previous = current["FunctionVersion"]
    if previous == target.version:
        recorded = recorded_previous(current.get("Description", ""))
        return {
            "function_name": target.function,
            "version": target.version,
            "previous": recorded,
            "changed": False,
        }
    move = partial(
        client.update_alias,
        FunctionName=target.function,
        Name=alias,
        FunctionVersion=target.version,
        Description=json.dumps({"previous_version": previous}),
        RoutingConfig={"AdditionalVersionWeights": {}},
    )
    lambdas.retry_on_conflict(client, target.function, move)
    _log(f"alias {alias} of {target.function}: {previous} -> {target.version}")
    return {
        "function_name": target.function,
        "version": target.version,
        "previous": previous,
        "changed": True,
    }


def _restore(client: LambdaClient, moved: dict[str, Any], alias: str) -> None:
    client.update_alias(
        FunctionName=moved["function_name"],
        Name=alias,
        FunctionVersion=moved["previous"],
        Description=json.dumps({"rolled_back_from": moved["version"]}),
    )
    _log(f"alias {alias} of {moved['function_name']}: put back on {moved['previous']}")


def promote(
    client: LambdaClient, api: Target, rotate: Target, alias: str = ALIAS
) -> dict[str, Any]:
    """Check the new API version's /healthz, then move `alias` on the API and rotation
    functions to the release's versions. If the second move fails, the first is undone."""
    for target in (api, rotate):
        lambdas.wait_version_active(client, target.function, target.version)
    status = healthcheck.check_version(client, api.function, api.version)
    moved: list[dict[str, Any]] = []
    try:
        for target in (api, rotate):
            moved.append(move_alias(client, target, alias))
    except BaseException:
        for done in reversed(moved):
            if done["changed"]:
                _restore(client, done, alias)
        raise
    return {"alias": alias, "healthz": status, "api": moved[0], "rotate": moved[1]}


def _roll_back_one(
    client: LambdaClient, function: str, version: str | None, alias: str
) -> dict[str, Any] | None:
    current = client.get_alias(FunctionName=function, Name=alias)
    target = version or recorded_previous(current.get("Description", ""))
    if not target:
        return None
    bad = current["FunctionVersion"]
    # No previous_version any more: a second rollback must not flip back to the bad version.
    move = partial(
        client.update_alias,
        FunctionName=function,
        Name=alias,
        FunctionVersion=target,
        Description=json.dumps({"rolled_back_from": bad}),
    )
    lambdas.retry_on_conflict(client, function, move)
    _log(f"alias {alias} of {function}: rolled back {bad} -> {target}")
    return {"function_name": function, "version": target, "rolled_back_from": bad}


def rollback(
    client: LambdaClient,
    api: str,
    rotate: str,
    alias: str = ALIAS,
    api_version: str | None = None,
    rotate_version: str | None = None,
) -> dict[str, Any]:
    """Point `alias` of the API and rotation functions back at the versions `promote`
    recorded (or the given ones). The API goes first: it is the one serving users.

    :raise DeployError: when the API alias records no previous version (already rolled
        back?) and none is given; the rotation alias is then left alone too.
    """
    restored_api = _roll_back_one(client, api, api_version, alias)
    if restored_api is None:
        raise DeployError(
            f"alias {alias} of {api} records no previous version "
            "(already rolled back?); pass --version"
        )
    restored_rotate = _roll_back_one(client, rotate, rotate_version, alias)
    if restored_rotate is None:
        _log(f"alias {alias} of {rotate} records no previous version: left where it is")
    return {"alias": alias, "api": restored_api, "rotate": restored_rotate}
