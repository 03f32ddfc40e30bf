"""``python -m tests.benchmarks.auth_timing [--rounds 10] [--requests 40] [--mariadb]``.

How long a 401 takes for a known and for an unknown username, through the Lambda
handler (REST v1 events), for a wrong, a 73-byte and an empty password. Equal
medians mean the answer time does not tell whether an account exists (issue 11,
item 4). Known and unknown requests alternate, so drift hits both alike. Printed,
never asserted: tests/api/test_password_hashing.py checks the same property by counting bcrypt work.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.support.apps import make_config
from tests.support.databases import admin_connection, migrate_to_head, mysql_url
from tests.support.transport import ApiClient, basic_auth

PASSWORDS = {"wrong": "wrong-password", "73-byte": "x" * 73, "empty": ""}


@contextlib.contextmanager
def _database(mariadb: bool, folder: Path) -> Iterator[str]:
    if not mariadb:
        yield f"sqlite:///{folder / 'timing.db'}"
        return
    name = f"bench_auth_{int(time.time())}"
    connection = admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield mysql_url(name)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        connection.close()


def _median_ms(samples: list[int]) -> float:
    return statistics.median(samples) / 1e6


def measure(api: ApiClient, username: str, password: str, requests: int) -> dict[str, float]:
    """Median wall and CPU milliseconds of a 401 for the known and the unknown username.

    CPU time (this thread's) is the work done; wall time is what a client sees, and
    on a shared machine it also carries other processes' noise.
    """
    samples: dict[str, list[int]] = {
        k: [] for k in ("known", "unknown", "known_cpu", "unknown_cpu")
    }
    names = {"known": username, "unknown": "nobody-" + username}
    for _ in range(requests):
        for who in ("known", "unknown"):
            headers = basic_auth(names[who], password)
            wall, cpu = time.perf_counter_ns(), time.thread_time_ns()
            response = api.get("/v1/product/1/image", headers=headers)
            samples[f"{who}_cpu"].append(time.thread_time_ns() - cpu)
            samples[who].append(time.perf_counter_ns() - wall)
            assert response.status_code == 401, response.status_code
    return {key: _median_ms(values) for key, values in samples.items()}


def _difference(a: float, b: float) -> float:
    return abs(a - b) / max(a, b) * 100


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.auth_timing")
    parser.add_argument("--rounds", type=int, default=10, help="BCRYPT_ROUNDS (production: 10)")
    parser.add_argument("--requests", type=int, default=40, help="requests per user and password")
    parser.add_argument("--mariadb", action="store_true", help="MariaDB instead of SQLite")
    args = parser.parse_args(argv)
    logging.getLogger("service").setLevel(logging.WARNING)  # no access lines in the output

    from service import create_app

    with tempfile.TemporaryDirectory() as folder, _database(args.mariadb, Path(folder)) as url:
        migrate_to_head(url)
        app = create_app(make_config(url, Path(folder), BCRYPT_ROUNDS=args.rounds))
        logging.getLogger("service").setLevel(logging.WARNING)
        api = ApiClient(app, "apigw_v1")
        account = {"username": "timing@example.com", "password": "correct horse battery",
                   "first_name": "T", "last_name": "M"}  # fmt: skip
        assert api.post("/v1/user", json=account).status_code == 201
        for _ in range(3):  # warm up: connections, the dummy hash, imports
            measure(api, account["username"], "warm-up-password", 1)
        print(f"401 medians, ms (BCRYPT_ROUNDS={args.rounds}, {args.requests} requests each,")
        print(f"{'mariadb' if args.mariadb else 'sqlite'}, Lambda handler with REST v1 events)")
        print(f"{'password':<9} {'known':>8} {'unknown':>8} {'diff':>6}   "
              f"{'cpu known':>9} {'cpu unknown':>11} {'diff':>6}")  # fmt: skip
        for label, password in PASSWORDS.items():
            r = measure(api, account["username"], password, args.requests)
            wall = _difference(r["known"], r["unknown"])
            cpu = _difference(r["known_cpu"], r["unknown_cpu"])
            print(f"{label:<9} {r['known']:>8.2f} {r['unknown']:>8.2f} {wall:>5.1f}%   "
                  f"{r['known_cpu']:>9.2f} {r['unknown_cpu']:>11.2f} {cpu:>5.1f}%")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
