"""The same endpoints over HTTP: ``python -m deploy serve`` (the Lambda handler behind a
local API Gateway) and gunicorn (a production WSGI server), one worker each."""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.benchmarks import environment as env
from tests.benchmarks.stats import summarize

REPO = Path(__file__).resolve().parents[2]
STAGE = "prod"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (gunicorn's worker), from /proc."""
    total = 0.0
    pids = [pid]
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(p) for p in (task / "children").read_text().split()]
    for each in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


class Client:
    """One keep-alive connection; http.client keeps the client's own cost small."""

    def __init__(self, port: int, prefix: str = "") -> None:
        self.port = port
        self.prefix = prefix
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def send(self, request: env.Request) -> tuple[int, bytes]:
        headers = dict(request.headers)
        if request.body:
            headers["Content-Length"] = str(len(request.body))
        try:
            self.connection.request(
                request.method, self.prefix + request.path, request.body or None, headers
            )
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            # gunicorn may close an idle keep-alive connection: reconnect once.
            self.connection.close()
            self.connection.request(
                request.method, self.prefix + request.path, request.body or None, headers
            )
            response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()


def server_env(database: env.Database, moto_url: str, lambda_like: bool) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    result = {
        **base,
        **env.FAKE_AWS,
        "AWS_ENDPOINT_URL": moto_url,
        "DATABASE_URL": database.app_url(),
        "IMAGES_BUCKET": env.BUCKET,
        "PYTHONPATH": str(REPO),
    }
    if lambda_like:
        result.update(env.LAMBDA_ENV)
    return result


@contextlib.contextmanager
def deploy_serve(environ: dict[str, str]) -> Iterator[tuple[int, int]]:
    """``python -m deploy serve`` on a free port; yields (port, pid)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy", "serve", "--port", "0", "--stage", STAGE],
        cwd=REPO,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    port = None
    for line in process.stderr:
        if match := re.search(r"serving .* on http://127\.0\.0\.1:(\d+)", line):
            port = int(match[1])
            break
    if port is None:
        process.wait(timeout=10)
        raise RuntimeError("deploy serve did not start")
    # The gateway logs every request on stderr: drain it so it never blocks.
    drain = subprocess.Popen(["cat"], stdin=process.stderr, stdout=subprocess.DEVNULL)
    try:
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)
        drain.wait(timeout=10)


@contextlib.contextmanager
def gunicorn(environ: dict[str, str]) -> Iterator[tuple[int, int]]:
    """gunicorn, one gthread worker with one thread (one request at a time, keep-alive)."""
    port = env.free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", "gthread",
         "--threads", "1", "--keep-alive", "75", "--bind", f"127.0.0.1:{port}",
         "service:create_app()"],
        cwd=REPO,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        env.wait_for_port(port)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def measure(
    send: Callable[[env.Request], tuple[int, bytes]],
    scenario: env.Scenario,
    requests: int,
    warmup: int,
) -> dict[str, Any]:
    for i in range(warmup):
        status, body = send(scenario.make(i))
        assert status == scenario.expect, (scenario.name, status, body[:300])
    wall = []
    for i in range(warmup, warmup + requests):
        request = scenario.make(i)
        t0 = time.perf_counter_ns()
        status, body = send(request)
        t1 = time.perf_counter_ns()
        assert status == scenario.expect, (scenario.name, status, body[:300])
        wall.append(t1 - t0)
    return summarize(wall)


def run(
    database: env.Database,
    requests: int,
    warmup: int,
    only: set[str] | None,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """Both servers, every scenario but the cold credential cache (a server cannot reset it)."""
    png = env.upload_png()
    out: dict[str, Any] = {}
    with env.moto_server() as moto_url:
        env.create_bucket(moto_url)
        servers = {
            "deploy serve (Lambda handler, REST v1 events)": (deploy_serve, True, f"/{STAGE}"),
            "gunicorn 1 worker (WSGI)": (gunicorn, False, ""),
        }
        for name, (start, lambda_like, prefix) in servers.items():
            if start is gunicorn and importlib.util.find_spec("gunicorn") is None:
                progress(f"{name}: skipped, gunicorn is not installed (the bench extra)")
                continue
            with start(server_env(database, moto_url, lambda_like)) as (port, pid):
                client = Client(port, prefix)
                seeded = env.seed(client.send, png)
                results: dict[str, Any] = {}
                cpu_before, total = cpu_seconds(pid), 0
                for scenario in env.scenarios(seeded, png, run_id=f"h{port}"):
                    if scenario.name == "get_user_cold" or (only and scenario.name not in only):
                        continue
                    progress(f"{name}: {scenario.name} x{requests}")
                    results[scenario.name] = measure(client.send, scenario, requests, warmup)
                    total += requests + warmup
                cpu = cpu_seconds(pid) - cpu_before
                client.close()
            out[name] = {
                "results": results,
                "server_cpu_ms_per_request": 1000 * cpu / total if total else None,
            }
    return out
