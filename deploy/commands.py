"""The local commands behind `python -m deploy` (package, lock, serve, smoke): each takes
parsed arguments and returns an exit code. The AWS ones are in deploy/aws_commands.py."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from deploy.errors import DeployError

if TYPE_CHECKING:
    from deploy.targets import Target


def out(data: Any) -> None:
    """Print a result as indented, sorted JSON on stdout."""
    print(json.dumps(data, indent=2, sort_keys=True))


def _pip_options(args: argparse.Namespace) -> list[str]:
    options = [f"--find-links={link}" for link in args.find_links]
    return options + (["--no-index"] if args.no_index else [])


def cmd_lock(args: argparse.Namespace) -> int:
    """Regenerate deploy/requirements.lock from setup.cfg."""
    from deploy import lockfile

    pins = lockfile.generate(args.setup_cfg, args.output, args.python, _pip_options(args))
    print(f"wrote {args.output}: {len(pins)} pinned distributions")
    return 0


def _target(runtime: str, arch: str) -> Target:
    from deploy.targets import Target

    try:
        return Target.from_runtime(runtime, arch)
    except ValueError as problem:
        raise DeployError(str(problem)) from None


def cmd_package(args: argparse.Namespace) -> int:
    """Build the Lambda zip."""
    from deploy.package import MB, PackageOptions, build_package
    from deploy.progress import Progress

    options = PackageOptions(
        project=args.project,
        output=args.output,
        target=_target(args.runtime, args.arch),
        include_boto3=args.include_boto3,
        lock=args.requirements,
        cache=args.cache_dir,
        compile=not args.no_compile,
        compile_python=args.compile_python,
        unchecked_hash=not args.checked_pyc,
        max_size_mb=args.max_size,
        strip=not args.no_strip,
        excludes=args.excludes,
        pip_options=_pip_options(args),
        progress=Progress(enabled=not args.quiet),
    )
    result = build_package(options)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    summary = result.summary
    if args.json:
        out(
            {
                "path": str(summary.path),
                "size": summary.size,
                "sha256": summary.sha256_hex,
                "sha256_base64": summary.sha256_b64,
                "entries": summary.entries,
                "unzipped": summary.unzipped,
                "stripped_files": result.stripped[0],
                "runtime": result.target.runtime,
                "arch": result.target.arch,
                "bytecode": result.compiled_with is not None,
            }
        )
    else:
        print(
            f"{summary.path}: {summary.size / MB:.2f} MB ({summary.size} bytes, "
            f"{summary.entries} files; {summary.unzipped / MB:.1f} MB unzipped) "
            f"for {result.target.runtime}/{result.target.arch}"
        )
        print(f"base64 sha256 (filebase64sha256): {summary.sha256_b64}")
    return 0


def _stop_on_signals() -> None:
    """Turn SIGTERM into SystemExit and SIGINT into KeyboardInterrupt, so `finally` blocks
    (the unpacked package's removal) run.

    SIGINT is set explicitly: a process started in the background by a non-interactive
    shell (`cmd &` in a script or CI) inherits SIGINT ignored, and Python then installs no
    KeyboardInterrupt handler, so Ctrl-C/`kill -INT` would not stop the server.
    """
    import signal

    def stop(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the local API Gateway until interrupted (Ctrl-C or SIGTERM)."""
    from contextlib import nullcontext

    from deploy.serve import GatewayConfig, load_handler, make_server
    from deploy.unpacked import unpacked

    for item in args.env:
        name, sep, value = item.partition("=")
        if not sep:
            raise DeployError(f"--env takes NAME=VALUE, not {item!r}")
        os.environ[name] = value
    _stop_on_signals()
    package = unpacked(args.package) if args.package else nullcontext(None)
    with package as folder:
        handler = load_handler(args.handler, folder, str(args.package))
        config = GatewayConfig(
            stage=args.stage,
            binary_media_types=tuple(args.binary_media_types),
            memory_mb=args.memory,
            timeout_s=args.timeout,
        )
        server = make_server(handler, config, args.host, args.port)
        prefix = f"/{args.stage}" if args.stage else ""
        print(
            f"serving {args.handler} on http://{args.host}:{server.server_address[1]}{prefix}/",
            file=sys.stderr,
            flush=True,
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return 0


def cmd_smoke(args: argparse.Namespace) -> int:
    """Probe /healthz."""
    from deploy.smoke import smoke

    result = smoke(
        args.base_url,
        deadline_s=args.deadline,
        interval_s=args.interval,
        timeout_s=args.timeout,
        path=args.path,
    )
    out(
        {
            "url": result.url,
            "status": result.status,
            "attempts": result.attempts,
            "seconds": round(result.seconds, 2),
        }
    )
    return 0
