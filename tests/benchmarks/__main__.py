"""``python -m tests.benchmarks [--requests N] [--json out.json] [--only ...]``.

Sections: ``handler`` (warm latency through the Lambda handler plus the database
floor), ``http`` (the same over ``python -m deploy serve`` and gunicorn),
``coldstart`` (fresh python3.12 processes on the unpacked package), ``memory``
(peak RSS after 1,000 mixed requests), ``secrets`` (what each way of reading the DB
secret costs a fresh process). Cost and scaling are derived from them.
``--only`` takes section names and/or scenario names (``get_product``, ...).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

from tests.benchmarks import environment as env
from tests.benchmarks import report

SECTIONS = ("handler", "http", "coldstart", "memory", "secrets")


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("--requests", type=int, default=1000, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests first")
    parser.add_argument("--json", type=Path, help="write all results here")
    parser.add_argument(
        "--only", nargs="+", default=[], help=f"sections ({', '.join(SECTIONS)}) and/or scenarios"
    )
    parser.add_argument("--coldstart-runs", type=int, default=15)
    parser.add_argument("--package", type=Path, help="an existing x86_64 lambda zip to use")
    parser.add_argument(
        "--original",
        type=Path,
        help="folder of the Node/Express original (outside this repository): adds the "
        "side-by-side section (warm requests interleaved, cold starts)",
    )
    args = parser.parse_args(argv)
    sections = [s for s in SECTIONS if s in args.only] or list(SECTIONS)
    scenario_filter = {s for s in args.only if s not in SECTIONS} or None

    out: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": __import__("os").cpu_count(),
        },
        "settings": {"requests": args.requests, "warmup": args.warmup},
    }
    database = env.create_database()
    _progress(f"database {database.name} migrated")
    try:
        if "handler" in sections:
            from tests.benchmarks import inprocess

            out["handler"] = inprocess.run(
                database, args.requests, args.warmup, scenario_filter, _progress
            )
        if "http" in sections:
            from tests.benchmarks import http

            out["http"] = http.run(database, args.requests, args.warmup, scenario_filter, _progress)
        if "coldstart" in sections or "memory" in sections:
            from tests.benchmarks import coldstart

            out.update(
                coldstart.run(
                    database,
                    runs=args.coldstart_runs,
                    memory="memory" in sections,
                    cold="coldstart" in sections,
                    package=args.package,
                    progress=_progress,
                )
            )
        if "secrets" in sections:
            from tests.benchmarks import coldstart, secret_read

            python = coldstart.python312()
            built = coldstart.WORK / "lambda-x86_64.zip"  # the coldstart section's, if it ran
            reuse = built if {"coldstart", "memory"} & set(sections) and built.is_file() else None
            task = coldstart.unpack(args.package or reuse or coldstart.build_package(_progress))
            out["secret_read"] = secret_read.run(
                database, python, task, coldstart.runtime_dir(python), 7, _progress
            )
        if args.original:
            from tests.benchmarks import original

            out["original"] = original.run(
                database, args.original, args.requests, max(5, args.coldstart_runs // 3), _progress
            )
        out["counts_after"] = database.counts()
    finally:
        database.drop()
    report.derive(out)
    print(report.render(out))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2, default=str) + "\n")
        _progress(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
