"""Cold start and memory: fresh python3.12 processes import ``service.lambda_handler`` from
the unpacked x86_64 package (with its bytecode) and serve a health check, then an
authenticated request; ``-X importtime`` names the expensive imports; one process serves
1,000 mixed requests and reports its peak RSS."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.benchmarks import environment as env
from tests.benchmarks.inprocess import handler_sender, make_handler, quiet_stdout

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / "build" / "bench"
WHEEL_CACHE = REPO / "build" / "cache" / "wheels"
IMPORTTIME_RUNS = 5  # -X importtime runs; the median per module is reported
SNAPSTART_RUNS = 5  # processes that play init, the hooks and a restore


def python312() -> str:
    from deploy import bytecode

    found = bytecode.find_python("3.12")
    if not found:
        raise RuntimeError("python3.12 is needed (pyenv install 3.12)")
    return found


def build_package(progress: Callable[[str], None]) -> Path:
    """``python -m deploy package --arch x86_64`` (the one architecture this machine runs)."""
    output = WORK / "lambda-x86_64.zip"
    progress("building the x86_64 package (python -m deploy package)")
    subprocess.run(
        [os.sys.executable, "-m", "deploy", "package", "--arch", "x86_64", "--output",
         str(output), "--cache-dir", str(WHEEL_CACHE), "--quiet"],
        cwd=REPO, check=True,
    )  # fmt: skip
    return output


def unpack(package: Path) -> Path:
    task = WORK / "task"
    shutil.rmtree(task, ignore_errors=True)
    with zipfile.ZipFile(package) as archive:
        archive.extractall(task)
    return task


def runtime_dir(python: str) -> Path:
    """boto3 and friends, as the Lambda runtime provides them (compiled once)."""
    from deploy import lockfile, wheels
    from deploy.targets import Target

    dest = WORK / "runtime"
    if (dest / "boto3").is_dir():
        return dest
    pins, _ = lockfile.read_lock(REPO / "deploy" / "requirements.lock")
    _ship, provided = lockfile.split_runtime_provided(pins, include_boto3=False)
    target = Target("3.12", "x86_64")
    wheels.install(wheels.ensure_wheels(provided, target, WHEEL_CACHE), target, dest)
    subprocess.run([python, "-m", "compileall", "-q", str(dest)], check=True)
    return dest


def summary(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "median": statistics.median(ordered),
        "min": ordered[0],
        "max": ordered[-1],
        "values": [round(v, 1) for v in ordered],
    }


def run_driver(
    python: str,
    spec: dict[str, Any],
    environ: dict[str, str],
    extra: tuple[str, ...] = (),
    after: tuple[str, ...] = (),
) -> tuple[dict[str, Any], str, float]:
    """One fresh process; returns its result, its stderr and the spawn epoch."""
    spec_file = WORK / "spec.json"
    spec_file.write_text(json.dumps(spec))
    spawned = time.time()
    done = subprocess.run(
        [python, "-I", *extra, str(WORK / "driver.py"), str(spec_file), *after],
        env=environ, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH-RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"driver failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(line.removeprefix("BENCH-RESULT ")), done.stderr, spawned


def top_imports(stderr: str, count: int = 15) -> list[dict[str, Any]]:
    """The packages that cost most, from ``-X importtime``: for each top-level package
    (``service.*`` modules one by one), the cumulative time of its first, outermost
    import; nested packages are also inside their importer's time."""
    first: dict[str, tuple[int, float]] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _self, cumulative, name = line.removeprefix("import time:").split("|")
        if not cumulative.strip().isdigit():
            continue
        depth = (len(name) - len(name.lstrip(" "))) // 2
        module = name.strip()
        key = module if module.startswith("service.") else module.split(".")[0]
        if key in ("service", "driver") or module.startswith("encodings"):
            continue
        if key not in first or depth <= first[key][0]:
            first[key] = (depth, int(cumulative) / 1000)
    rows = [{"module": k, "cumulative_ms": ms} for k, (_depth, ms) in first.items()]
    return sorted(rows, key=lambda r: -r["cumulative_ms"])[:count]


def median_top_imports(stderrs: list[str], count: int = 10) -> list[dict[str, Any]]:
    """``top_imports`` of several ``-X importtime`` runs: the median per module, top ``count``."""
    runs = [{r["module"]: r["cumulative_ms"] for r in top_imports(e, 10_000)} for e in stderrs]
    modules = set().union(*runs)
    rows = [
        {"module": m, "cumulative_ms": statistics.median(run.get(m, 0.0) for run in runs)}
        for m in modules
    ]
    return sorted(rows, key=lambda r: -r["cumulative_ms"])[:count]


def cold_events(seeded: env.Seed) -> dict[str, Any]:
    """GET product (the first request) and an authenticated one, as REST (v1) events."""
    from deploy import events

    def event(path: str, headers: list[tuple[str, str]]) -> dict[str, Any]:
        request = events.HttpRequest(
            method="GET",
            target=f"/prod{path}",
            headers=[("Host", "bench.local"), *headers],
            body=b"",
            source_ip="203.0.113.10",
        )
        return events.build_event(request, path=path, stage="prod", binary_media_types=("*/*",))

    auth = ("Authorization", env.basic(seeded.username, env.PASSWORD))
    return {
        "product": event(f"/v1/product/{seeded.product_id}", []),
        "auth": event(f"/v1/user/{seeded.user_id}", [auth]),
    }


def run(
    database: env.Database,
    *,
    runs: int,
    memory: bool,
    cold: bool,
    package: Path | None,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    WORK.mkdir(parents=True, exist_ok=True)
    python = python312()
    task = unpack(package or build_package(progress))
    runtime = runtime_dir(python)
    lib = WORK / "lib"
    lib.mkdir(exist_ok=True)
    shutil.copy(REPO / "deploy" / "events.py", lib / "apigw_events.py")
    shutil.copy(Path(__file__).with_name("driver.py"), WORK / "driver.py")
    png_file = WORK / "upload.png"
    png_file.write_bytes(env.upload_png())
    out: dict[str, Any] = {}
    from tests.support.secrets_extension import fake_extension

    with (
        env.moto_server() as moto_url,
        fake_extension(env.aws_client("secretsmanager", moto_url)) as extension,
    ):
        env.create_bucket(moto_url)
        secret_arn = env.create_app_secret(database, moto_url)
        os.environ.update(env.FAKE_AWS)
        os.environ.update(env.LAMBDA_ENV)
        os.environ["AWS_ENDPOINT_URL"] = moto_url
        with quiet_stdout():
            app, handler = make_handler(database)
            seeded = env.seed(handler_sender(handler), env.upload_png())
            with app.app_context():
                from service.extensions import db

                db.engine.dispose()
        del os.environ["AWS_ENDPOINT_URL"]
        lambda_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            **env.FAKE_AWS,
            **env.LAMBDA_ENV,
            "AWS_ENDPOINT_URL": moto_url,
            "DB_SECRET_ARN": secret_arn,
            "DB_HOST": "127.0.0.1",
            "DB_NAME": database.name,
            "IMAGES_BUCKET": env.BUCKET,
            "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only on Lambda
            # The Parameters and Secrets extension (a layer on Lambda; here a stand-in in
            # this process answering from moto): the secret read needs no SDK.
            "DB_SECRET_EXTENSION_PORT": str(extension.port),
        }
        spec = {
            "events": cold_events(seeded),
            "task": str(task), "runtime": str(runtime), "lib": str(lib), "mode": "cold",
            "username": seeded.username, "password": env.PASSWORD, "user_id": seeded.user_id,
            "product_id": seeded.product_id, "listed_id": seeded.listed_product_id,
            "patched_id": seeded.patched_product_id, "png": str(png_file), "run": "cold",
        }  # fmt: skip
        if cold:
            first, auth, imports, product, total_auth, floor = [], [], [], [], [], []
            floor_spec = {**spec, "mode": "floor"}
            for i in range(runs):
                progress(f"cold start {i + 1}/{runs} (and the bare-import floor)")
                # Interleaved, so both see the same machine load.
                result, _stderr, spawned = run_driver(python, floor_spec, lambda_env)
                floor.append((result["floor_epoch"] - spawned) * 1000)
                result, _stderr, spawned = run_driver(python, spec, lambda_env)
                first.append((result["product_epoch"] - spawned) * 1000)
                total_auth.append((result["auth_epoch"] - spawned) * 1000)
                imports.append(result["import_ms"])
                product.append(result["first_product_ms"])
                auth.append(result["first_auth_ms"])
            # The same reading the secret with the SDK (no extension), and without a secret
            # (DATABASE_URL): what each way of getting the credentials costs.
            sdk_env = {k: v for k, v in lambda_env.items() if k != "DB_SECRET_EXTENSION_PORT"}
            url_env = {k: v for k, v in lambda_env.items() if not k.startswith("DB_")}
            url_env["DATABASE_URL"] = database.app_url()
            sdk_first, url_first = [], []
            for i in range(max(5, runs // 2)):
                progress(f"cold start with the SDK / DATABASE_URL {i + 1}/{max(5, runs // 2)}")
                result, _stderr, spawned = run_driver(python, spec, sdk_env)
                sdk_first.append((result["product_epoch"] - spawned) * 1000)
                result, _stderr, spawned = run_driver(python, spec, url_env)
                url_first.append((result["product_epoch"] - spawned) * 1000)
            snap: dict[str, list[float]] = {}
            has_hooks = (task / "service" / "snapstart.py").is_file()  # older code has none
            for i in range(SNAPSTART_RUNS if has_hooks else 0):
                progress(f"SnapStart hooks {i + 1}/{SNAPSTART_RUNS}")
                result, _stderr, _ = run_driver(python, {**spec, "mode": "snapstart"}, lambda_env)
                for key in ("before_snapshot_ms", "after_restore_ms",
                            "first_product_after_restore_ms"):  # fmt: skip
                    snap.setdefault(key, []).append(result[key])
            importtimes = []
            for i in range(IMPORTTIME_RUNS):
                progress(f"-X importtime {i + 1}/{IMPORTTIME_RUNS}")
                _result, stderr, _ = run_driver(python, spec, lambda_env, ("-X", "importtime"))
                importtimes.append(stderr)
            _result, profile, _ = run_driver(python, spec, lambda_env, after=("--profile",))
            (WORK / "coldstart-profile.txt").write_text(profile)
            progress(f"cProfile of one cold start: {WORK / 'coldstart-profile.txt'}")
            out["coldstart"] = {
                "first_response_ms": summary(first),
                "bare_import_floor_ms": summary(floor),
                "first_response_over_floor": statistics.median(first) / statistics.median(floor),
                "first_auth_response_ms": summary(total_auth),
                "import_handler_ms": summary(imports),
                "first_product_request_ms": summary(product),
                "first_auth_request_ms": summary(auth),
                "first_response_ms_secret_with_sdk": summary(sdk_first),
                "first_response_ms_with_database_url": summary(url_first),
                "top_imports": median_top_imports(importtimes),
                "snapstart": {key: summary(values) for key, values in snap.items()},
                "setup": "python3.12 -I, unpacked x86_64 zip (unchecked-hash bytecode) + boto3 "
                "runtime folder; DB_SECRET_ARN read through a stand-in of the Parameters and "
                "Secrets extension (moto behind it); MariaDB on "
                "loopback without TLS; first_response = process spawn to the GET product "
                "response; floor = process spawn to `import flask, sqlalchemy, pymysql` done",
            }
        if memory:
            progress("memory: 1,000 mixed requests in one fresh process")
            spec = {**spec, "mode": "memory", "requests": 1000, "run": f"mem{os.getpid()}"}
            result, _stderr, _ = run_driver(python, spec, lambda_env)
            out["memory"] = {
                "requests": result["requests"],
                "peak_rss_mb": result["peak_rss_mb"],
                "rss_after_import_mb": result["rss_after_import_mb"],
                "rss_after_first_requests_mb": result["rss_after_first_requests_mb"],
                "rss_steps_mb": result["rss_steps_mb"],
                "getrusage_maxrss_mb": result["getrusage_maxrss_mb"],
                "setup": "same process layout as the cold start; peak = VmHWM of the process "
                "(getrusage ru_maxrss is inherited across execve from the spawning "
                "benchmark process on Linux, so it overstates a child's peak)",
            }
    return out
