"""The commands of `python -m deploy` that talk to AWS: publish, migrate, promote, rollback
(the release steps CI runs) and status, logs, invoke (operations). Each takes parsed
arguments and returns an exit code; AWS errors propagate to cli.main, which prints them as
one line (deploy/aws.py)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy.commands import out
from deploy.errors import DeployError

DEFAULT_ZIP = Path("build/lambda.zip")  # what `python -m deploy package` writes

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_logs import CloudWatchLogsClient

    from deploy.release import Target

ROLES = ("api", "migrate", "rotate")


def _client(args: argparse.Namespace, read_timeout: int = 60) -> LambdaClient:
    from deploy import aws

    made: LambdaClient = aws.client("lambda", args.region, read_timeout=read_timeout)
    return made


def _logs_client(args: argparse.Namespace) -> CloudWatchLogsClient:
    from deploy import aws

    made: CloudWatchLogsClient = aws.client("logs", args.region)
    return made


def _function(args: argparse.Namespace, role: str) -> str:
    name: str | None = getattr(args, f"{role}_function", None)
    if not name:
        raise DeployError(f"set {role.upper()}_FUNCTION_NAME or pass --{role}-function")
    return name


def _release_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DeployError(f"cannot read release file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise DeployError(f"release file {path} is not the object publish writes")
    return data


def _released(args: argparse.Namespace, role: str, version: str | None) -> Target:
    """The function and version of a role: given explicitly, or from the release file."""
    from deploy.release import Target

    function = _function(args, role)
    if version:
        return Target(function, str(version))
    if args.release is None:
        raise DeployError(f"{args.command} needs --release (the file publish wrote) or --version")
    entry = _release_file(args.release).get(role)
    if not isinstance(entry, dict) or not entry.get("version"):
        raise DeployError(
            f"release file {args.release} has no {role} version; {args.command} never falls "
            "back to $LATEST: run publish again, or pass --version"
        )
    if entry.get("function_name") not in (None, function):
        raise DeployError(
            f"release file {args.release} is for {entry['function_name']}, not {function}"
        )
    return Target(function, str(entry["version"]))


def cmd_publish(args: argparse.Namespace) -> int:
    """Upload code to the three functions and publish versions."""
    from deploy import release

    functions = release.Functions(*(_function(args, role) for role in ROLES))
    code = release.code_location(args.zip, args.s3_bucket, args.s3_key, args.s3_version)
    result = release.publish(_client(args), functions, code, args.description)
    if args.output:
        args.output.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    out(result)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Invoke the migration job's published version and check its result."""
    from deploy import release

    event = release.migration_event(args.action, args.revision)
    target = _released(args, "migrate", args.version)
    client = _client(args, read_timeout=900)  # the job may run up to Lambda's 15 minutes
    out(release.migrate(client, target, event))
    return 0


def cmd_promote(args: argparse.Namespace) -> int:
    """Check the new API version, then move live on the API and rotation functions."""
    from deploy import release

    if args.version and not args.rotate_version:
        raise DeployError(
            "promote moves the API and the rotation function together: give --release, "
            "or both --version and --rotate-version"
        )
    api = _released(args, "api", args.version)
    rotate = _released(args, "rotate", args.rotate_version)
    out(release.promote(_client(args), api, rotate, args.alias))
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    """Move live on the API and rotation functions back to the recorded versions."""
    from deploy import release

    result = release.rollback(
        _client(args),
        _function(args, "api"),
        _function(args, "rotate"),
        args.alias,
        args.version,
        args.rotate_version,
    )
    out(result)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Show what runs where, compared with a local zip."""
    from deploy import status
    from deploy.zipper import file_hashes

    if args.zip is not None and not args.zip.is_file():
        raise DeployError(f"--zip {args.zip}: no such file")
    package = args.zip or DEFAULT_ZIP
    client = _client(args)
    zip_sha = file_hashes(package)[1] if package.is_file() else None
    report: dict[str, Any] = {
        "zip": {"path": str(package), "code_sha256": zip_sha} if zip_sha else None,
        "functions": {
            role: status.function_status(client, role, _function(args, role), args.alias, zip_sha)
            for role in ROLES
        },
    }
    if args.json:
        out(report)
    else:
        print(status.render(report))
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    """Print (and with --follow, keep printing) the functions' log events."""
    from deploy import logs

    unknown = sorted(set(args.functions) - set(ROLES))
    if unknown:
        raise DeployError(f"unknown function {', '.join(unknown)}: choose from {', '.join(ROLES)}")
    roles = args.functions or list(ROLES)
    groups = {role: logs.log_group(_function(args, role)) for role in roles}
    start = logs.parse_since(args.since, time.time())
    logs.show(
        _logs_client(args), groups, start, args.pattern, sys.stdout,
        follow=args.follow, interval=args.interval,
    )  # fmt: skip
    return 0


def _payload(text: str) -> Any:
    source = "--payload"
    if text.startswith("@"):
        source = text[1:]
        try:
            text = Path(source).read_text()
        except OSError as exc:
            raise DeployError(f"cannot read the payload: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DeployError(f"{source} is not JSON: {exc}") from exc


def cmd_invoke(args: argparse.Namespace) -> int:
    """Invoke a function synchronously; print its result (exit 1 if it raised)."""
    from deploy import lambdas

    payload = _payload(args.payload)
    client = _client(args, read_timeout=900)
    role = args.function if args.function in ROLES else None
    function = _function(args, role) if role else args.function
    qualifier = args.qualifier or ("live" if role in ("api", "rotate") else None)
    if qualifier is None:
        qualifier = lambdas.latest_version(client, function)
        if qualifier is None:
            raise DeployError(f"{function} has no published version; pass --qualifier")
    lambdas.wait_version_active(client, function, qualifier)
    invocation = lambdas.invoke(client, function, qualifier, payload)
    tail = lambdas.log_tail_block(invocation)
    if invocation.function_error:
        raise DeployError(
            f"{function}:{qualifier} failed ({invocation.function_error}): "
            f"{invocation.error_summary()}",
            details=tail,
        )
    if args.log_tail and tail:
        print(tail, file=sys.stderr)
    out(invocation.payload)
    return 0
