"""The argument parser of `python -m deploy` and its entry point."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from deploy import aws_commands, commands
from deploy.errors import DeployError
from deploy.targets import ARCHES, RUNTIME_GLIBC

_FORMATTER = argparse.ArgumentDefaultsHelpFormatter


def _add_pip_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--find-links",
        action="append",
        default=[],
        metavar="URL_OR_DIR",
        help="extra place for pip to look for wheels (repeatable)",
    )
    parser.add_argument("--no-index", action="store_true", help="do not use package indexes")


def _add_package(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "package",
        help="build the Lambda zip",
        formatter_class=_FORMATTER,
        description="Build a reproducible Lambda zip: locked manylinux wheels "
        "for the target, service/, migrations/, the RDS CA bundle, bytecode.",
    )
    p.add_argument("--arch", choices=ARCHES, default="arm64", help="Lambda architecture")
    p.add_argument(
        "--runtime",
        default="python3.12",
        choices=sorted(RUNTIME_GLIBC),
        help="Lambda runtime (the lock must be resolved for it)",
    )
    p.add_argument("--output", "-o", type=Path, default=Path("build/lambda.zip"))
    p.add_argument(
        "--include-boto3",
        action="store_true",
        help="ship boto3/botocore and friends instead of using the runtime's",
    )
    p.add_argument(
        "--requirements",
        type=Path,
        default=None,
        metavar="LOCK",
        help="pinned requirements (default: deploy/requirements.lock)",
    )
    p.add_argument("--project", type=Path, default=Path(), help="repository root")
    p.add_argument(
        "--cache-dir", type=Path, default=None, help="wheel cache (default: build/cache/wheels)"
    )
    p.add_argument("--no-compile", action="store_true", help="ship no bytecode")
    p.add_argument(
        "--compile-python",
        metavar="PATH",
        default=None,
        help="interpreter of the target version for bytecode (default: found)",
    )
    p.add_argument(
        "--checked-pyc",
        action="store_true",
        help="compile timestamp-checked .pyc instead of unchecked-hash",
    )
    p.add_argument(
        "--max-size",
        type=float,
        default=25.0,
        metavar="MB",
        help="fail when the zip is larger (MB = 2**20 bytes)",
    )
    p.add_argument(
        "--no-strip", action="store_true", help="keep symbols and debug info in shared objects"
    )
    p.add_argument(
        "--excludes",
        type=Path,
        default=None,
        metavar="FILE",
        help="what to leave out of the dependencies (default: deploy/package-excludes.txt)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    _add_pip_options(p)
    p.set_defaults(func=commands.cmd_package)


def _add_lock(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "lock",
        help="regenerate deploy/requirements.lock",
        formatter_class=_FORMATTER,
        description="Resolve setup.cfg install_requires for python3.X on arm64 "
        "and x86_64 and pin every distribution with its wheel hashes.",
    )
    p.add_argument("--setup-cfg", type=Path, default=Path("setup.cfg"))
    p.add_argument("--output", "-o", type=Path, default=Path("deploy/requirements.lock"))
    p.add_argument(
        "--python",
        default="3.12",
        choices=sorted(r.removeprefix("python") for r in RUNTIME_GLIBC),
        help="target Python version",
    )
    _add_pip_options(p)
    p.set_defaults(func=commands.cmd_lock)


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="run the handler behind a local API Gateway",
        formatter_class=_FORMATTER,
        description="Turn HTTP requests into API Gateway REST (v1) proxy events "
        "and answer with the Lambda handler's results.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    p.add_argument("--stage", default=None, help="require and strip a /<stage> path prefix")
    p.add_argument(
        "--handler",
        default="service.lambda_handler:handler",
        help="module:attr (or Lambda's module.attr)",
    )
    p.add_argument(
        "--package",
        type=Path,
        default=None,
        metavar="ZIP_OR_DIR",
        help="import the handler from a built package (run with its Python)",
    )
    p.add_argument("--binary-media-types", nargs="+", default=["*/*"], metavar="TYPE")
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set an environment variable before importing (repeatable)",
    )
    p.add_argument("--memory", type=int, default=512, help="context.memory_limit_in_mb")
    p.add_argument("--timeout", type=float, default=29.0, help="context deadline (seconds)")
    p.set_defaults(func=commands.cmd_serve)


ROLES = ("api", "migrate", "rotate")


def function_variable(role: str) -> str:
    """The environment variable naming a role's function (Terraform output <role>_function_name)."""
    return f"{role.upper()}_FUNCTION_NAME"


def _aws_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str
) -> argparse.ArgumentParser:
    """A subcommand that talks to AWS: region and the three function names."""
    p = sub.add_parser(name, help=help_text, description=help_text, formatter_class=_FORMATTER)
    p.add_argument(
        "--region", default=os.environ.get("AWS_REGION"), help="AWS region (env AWS_REGION)"
    )
    for role in ROLES:
        env = function_variable(role)
        p.add_argument(
            f"--{role}-function", default=os.environ.get(env), help=f"function name (env {env})"
        )
    return p


def _add_release(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _aws_parser(
        sub,
        "publish",
        "upload the zip (or an S3 object) to the API, migration and rotation functions, "
        "wait, publish versions; print them as JSON",
    )
    p.add_argument("--zip", type=Path, default=None, help="local zip (e.g. build/lambda.zip)")
    p.add_argument("--s3-bucket")
    p.add_argument("--s3-key")
    p.add_argument("--s3-version")
    p.add_argument("--description", default="", help="version description (e.g. git SHA)")
    p.add_argument("--output", "-o", type=Path, help="also write the JSON here (release file)")
    p.set_defaults(func=aws_commands.cmd_publish)

    p = _aws_parser(
        sub,
        "migrate",
        "invoke the migration job's published version synchronously; exit 1 on a "
        "FunctionError or a result without ok: true (never invokes $LATEST)",
    )
    p.add_argument("--action", default="upgrade", choices=("upgrade", "current", "history"))
    p.add_argument("--revision", default=None, help="upgrade to this revision (default head)")
    p.add_argument("--version", help="function version to invoke (default: from --release)")
    p.add_argument("--release", type=Path, help="the JSON file publish wrote")
    p.set_defaults(func=aws_commands.cmd_migrate)

    p = _aws_parser(
        sub,
        "promote",
        "check GET /healthz on the new API version, then point the alias of the API and "
        "rotation functions at the release's versions, recording the previous ones",
    )
    p.add_argument("--release", type=Path, help="the JSON file publish wrote")
    p.add_argument("--version", help="API function version (instead of --release)")
    p.add_argument("--rotate-version", help="rotation function version (with --version)")
    p.add_argument("--alias", default="live")
    p.set_defaults(func=aws_commands.cmd_promote)

    p = _aws_parser(
        sub,
        "rollback",
        "point the alias of the API and rotation functions back at the versions promote recorded",
    )
    p.add_argument("--version", help="roll the API back to this version instead")
    p.add_argument("--rotate-version", help="roll the rotation function back to this version")
    p.add_argument("--alias", default="live")
    p.set_defaults(func=aws_commands.cmd_rollback)

    p = sub.add_parser(
        "smoke",
        help="GET <base-url>/healthz until 200 or the deadline",
        formatter_class=_FORMATTER,
        description="Probe the health endpoint with retries; exit 1 on failure.",
    )
    p.add_argument("base_url", help="API base URL, stage included (Terraform output api_url)")
    p.add_argument("--path", default="/healthz")
    p.add_argument("--deadline", type=float, default=60.0, help="seconds for all attempts")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between attempts")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    p.set_defaults(func=commands.cmd_smoke)


def _add_operations(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _aws_parser(
        sub,
        "status",
        "per function: the version live serves and the one before, their code versus a "
        "local zip, when they were published, and the alias routing",
    )
    p.add_argument(
        "--zip", type=Path, help="compare with this zip (default: build/lambda.zip if it exists)"
    )
    p.add_argument("--alias", default="live")
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    p.set_defaults(func=aws_commands.cmd_status)

    p = _aws_parser(sub, "logs", "print the functions' CloudWatch Logs, readably")
    p.add_argument(
        "functions", nargs="*", metavar="FUNCTION", help="api, migrate and/or rotate (default: all)"
    )
    p.add_argument("--since", default="10m", help="how far back: 30s, 10m, 2h, 1d or ISO time")
    p.add_argument("--filter", dest="pattern", help="CloudWatch Logs filter pattern")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between polls (--follow)")
    p.set_defaults(func=aws_commands.cmd_logs)

    p = _aws_parser(sub, "invoke", "invoke a function synchronously and print its result")
    p.add_argument("function", help="api, migrate, rotate, or a function name")
    p.add_argument(
        "--payload", default="{}", help="the event: JSON text, or @FILE to read it from a file"
    )
    p.add_argument(
        "--qualifier",
        help="version or alias (default: live for api and rotate, the newest version otherwise)",
    )
    p.add_argument("--log-tail", action="store_true", help="also print the log tail on stderr")
    p.set_defaults(func=aws_commands.cmd_invoke)


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m deploy",
        description="Package, serve locally and release the Lambda functions. "
        "See deploy/README.md.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_package(sub)
    _add_lock(sub)
    _add_serve(sub)
    _add_release(sub)
    _add_operations(sub)
    return parser


def function_hints(args: argparse.Namespace) -> dict[str, str]:
    """Function name -> where it came from, for error messages."""
    hints = {}
    for role in ROLES:
        name = getattr(args, f"{role}_function", None)
        if name:
            hints[name] = f"{function_variable(role)} or --{role}-function"
    return hints


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the command. Expected failures (DeployError, any AWS error)
    print one `error: ...` line on stderr and return 1, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except DeployError as error:
        if error.details:
            print(error.details, file=sys.stderr)
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        from deploy import aws

        message = aws.explain(error, function_hints(args))
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 1
