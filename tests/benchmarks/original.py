"""Side by side with the API this product replaces (issue 14): the Node/Express original,
reconstructed OUTSIDE this repository (its code is never committed here) and pointed at
the same MariaDB and moto, against ``python -m deploy serve``, requests interleaved one
by one on two keep-alive connections; and both cold starts (process spawn to the first
GET product 200, the secret read from Secrets Manager in moto).

``--original DIR``: a folder with the original's ``index.js`` and its ``node_modules``,
listening on ``$PORT`` and reading ``SECRET_ID``, ``HOST``, ``DB_PORT``, ``DATABASE``,
``REGION`` and ``AWS_ENDPOINT_URL`` (docs/performance.md says how it was reconstructed).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.benchmarks import environment as env
from tests.benchmarks.http import STAGE, Client, deploy_serve, server_env
from tests.benchmarks.stats import summarize
from tests.support.databases import MARIADB


@contextlib.contextmanager
def node_server(folder: Path, environ: dict[str, str], port: int) -> Iterator[int]:
    """``node index.js`` in ``folder``; yields its pid once it answers."""
    process = subprocess.Popen(
        ["node", "index.js"], cwd=folder, env={**environ, "PORT": str(port)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        env.wait_for_port(port)
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def node_env(database: str, secret_arn: str, moto_url: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        **env.FAKE_AWS,
        "AWS_ENDPOINT_URL": moto_url,
        "REGION": env.REGION,
        "SECRET_ID": secret_arn,
        "HOST": MARIADB["host"],
        "DB_PORT": str(MARIADB["port"]),
        "DATABASE": database,
    }


def create_node_database() -> tuple[str, dict[str, Any]]:
    """A database of its own (it creates its own tables with sync()) and its secret value."""
    name = f"bench_node_{os.getpid()}_{time.monotonic_ns() % 100000}"
    connection = env.admin()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    connection.close()
    return name, {"username": MARIADB["user"], "password": MARIADB["password"]}


def drop_database(name: str) -> None:
    connection = env.admin()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    connection.close()


def seed_node(client: Client) -> dict[str, Any]:
    """A user and a product through the original's API (retries until its tables exist)."""
    username = f"node-{os.getpid()}-{time.monotonic_ns()}@example.com"
    body = {"username": username, "password": env.PASSWORD, "first_name": "B", "last_name": "M"}
    deadline = time.monotonic() + 30
    while True:
        status, data = client.send(
            env.Request("POST", "/user", {"Content-Type": "application/json"},
                        json.dumps(body).encode())
        )  # fmt: skip
        if status == 201 or time.monotonic() > deadline:
            break
        time.sleep(0.2)  # sync() has not created the tables yet
    assert status == 201, (status, data[:300])
    user = json.loads(data)
    auth = {"Authorization": env.basic(username, env.PASSWORD)}
    product = {"name": "Seed", "description": "seed", "sku": f"NODE-{user['id']}",
               "manufacturer": "Acme", "quantity": 1}  # fmt: skip
    status, data = client.send(
        env.Request("POST", "/product", {**auth, "Content-Type": "application/json"},
                    json.dumps(product).encode())
    )  # fmt: skip
    assert status == 201, (status, data[:300])
    return {"user_id": user["id"], "product_id": json.loads(data)["id"], "auth": auth}


def scenarios(prefix: str, seed: dict[str, Any], run: str) -> dict[str, Callable[[int], Any]]:
    """The endpoints both implement, as request builders."""
    auth = seed["auth"]
    json_auth = {**auth, "Content-Type": "application/json"}

    def create(i: int) -> env.Request:
        body = {"name": "B", "description": "d", "sku": f"CMP-{run}-{i}", "manufacturer": "A",
                "quantity": i % 101}  # fmt: skip
        return env.Request("POST", f"{prefix}/product", json_auth, json.dumps(body).encode())

    def patch(i: int) -> env.Request:
        body = json.dumps({"quantity": i % 101}).encode()
        return env.Request("PATCH", f"{prefix}/product/{seed['product_id']}", json_auth, body)

    return {
        "health": lambda i: env.Request("GET", "/healthz"),
        "get_product": lambda i: env.Request("GET", f"{prefix}/product/{seed['product_id']}"),
        "get_user (authenticated)": lambda i: env.Request(
            "GET", f"{prefix}/user/{seed['user_id']}", auth
        ),
        "create_product": create,
        "patch_product": patch,
    }


EXPECT = {"health": 200, "get_product": 200, "get_user (authenticated)": 200,
          "create_product": 201, "patch_product": 204}  # fmt: skip
SLOW = {"get_user (authenticated)", "create_product", "patch_product"}  # bcrypt per request


def interleaved(
    ours: Client, theirs: Client, mine: dict[str, Any], their: dict[str, Any], requests: int
) -> dict[str, Any]:
    """Each scenario, one request to each server in turn, so both see the same load."""
    out: dict[str, Any] = {}
    for name in EXPECT:
        n = max(20, requests // 10) if name in SLOW else requests
        samples: dict[str, list[int]] = {"ours": [], "original": []}
        for i in range(n + 10):
            for side, client, make in (
                ("ours", ours, mine[name]),
                ("original", theirs, their[name]),
            ):
                request = make(i)
                t0 = time.perf_counter_ns()
                status, body = client.send(request)
                t1 = time.perf_counter_ns()
                assert status == EXPECT[name], (side, name, status, body[:300])
                if i >= 10:
                    samples[side].append(t1 - t0)
        ours_stats, their_stats = summarize(samples["ours"]), summarize(samples["original"])
        out[name] = {
            "ours": ours_stats,
            "original": their_stats,
            "ratio_ours_over_original": ours_stats["median_ms"] / their_stats["median_ms"],
        }
    return out


def time_to_first_product(command: list[str], cwd: Path, environ: dict[str, str], port: int,
                          path: str) -> float:  # fmt: skip
    """Spawn a server, poll GET product every 5 ms; milliseconds to the first 200."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=environ, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        while time.perf_counter() - started < 60:
            with contextlib.suppress(OSError, http.client.HTTPException):
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", path)
                if connection.getresponse().status == 200:
                    return (time.perf_counter() - started) * 1000
            time.sleep(0.005)
        raise RuntimeError(f"{command} never answered 200 on {path}")
    finally:
        process.terminate()
        process.wait(timeout=10)


def run(
    database: env.Database, original: Path, requests: int, runs: int,
    progress: Callable[[str], None],
) -> dict[str, Any]:  # fmt: skip
    from tests.benchmarks.coldstart import summary
    from tests.support.secrets_extension import fake_extension

    node_db, node_secret = create_node_database()
    out: dict[str, Any] = {}
    try:
        with (
            env.moto_server() as moto_url,
            fake_extension(env.aws_client("secretsmanager", moto_url)) as extension,
        ):
            env.create_bucket(moto_url)
            client = env.aws_client("secretsmanager", moto_url)
            node_arn = client.create_secret(Name=node_db, SecretString=json.dumps(node_secret))
            our_arn = env.create_app_secret(database, moto_url)
            node_environ = node_env(node_db, node_arn["ARN"], moto_url)
            node_port = env.free_port()
            ours_environ = server_env(database, moto_url, lambda_like=True)
            with (
                node_server(original, node_environ, node_port),
                deploy_serve(ours_environ) as (port, _pid),
            ):
                theirs, ours = Client(node_port), Client(port, f"/{STAGE}")
                their_seed = seed_node(theirs)
                seeded = env.seed(ours.send, env.upload_png())
                our_auth = {"Authorization": env.basic(seeded.username, env.PASSWORD)}
                mine = {"user_id": seeded.user_id, "product_id": seeded.product_id,
                        "auth": our_auth}  # fmt: skip
                progress(f"original vs deploy serve, interleaved, {requests} requests each")
                out["warm"] = interleaved(
                    ours, theirs, scenarios("/v1", mine, f"o{port}"),
                    scenarios("", their_seed, f"n{port}"), requests,
                )  # fmt: skip
                ours.close()
                theirs.close()
            # Cold starts: spawn to the first GET product 200, secret read from moto.
            cold: dict[str, list[float]] = {"ours": [], "original": []}
            serve_env = {k: v for k, v in ours_environ.items() if k != "DATABASE_URL"}
            # Ours as deployed: the secret through the Parameters and Secrets extension (a
            # stand-in here); the original reads it with its SDK (aws-sdk v2).
            serve_env.update(DB_SECRET_ARN=our_arn, DB_HOST=MARIADB["host"],
                             DB_PORT=str(MARIADB["port"]), DB_NAME=database.name,
                             DB_SECRET_EXTENSION_PORT=str(extension.port))  # fmt: skip
            for i in range(runs):
                progress(f"cold start {i + 1}/{runs}: original and deploy serve")
                p = env.free_port()
                cold["original"].append(time_to_first_product(
                    ["node", "index.js"], original, {**node_environ, "PORT": str(p)}, p,
                    f"/product/{their_seed['product_id']}"))  # fmt: skip
                p = env.free_port()
                cold["ours"].append(time_to_first_product(
                    [os.sys.executable, "-m", "deploy", "serve", "--port", str(p), "--stage",
                     STAGE], env_repo(), serve_env, p,
                    f"/{STAGE}/v1/product/{seeded.product_id}"))  # fmt: skip
            out["cold_start_ms"] = {side: summary(values) for side, values in cold.items()}
    finally:
        drop_database(node_db)
    return out


def env_repo() -> Path:
    return Path(__file__).resolve().parents[2]
