"""Warm latency through the Lambda handler (API Gateway REST v1 events), and the raw
database floor (the same primary-key select with bare pymysql), in one process."""

from __future__ import annotations

import base64
import contextlib
import inspect
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pymysql
from werkzeug.datastructures import Headers

from tests.benchmarks import environment as env
from tests.benchmarks.stats import summarize
from tests.support.databases import MARIADB
from tests.support.transport import LambdaContext, make_v1_event

ProgressFn = Callable[[str], None]
Sender = Callable[[env.Request], tuple[int, bytes]]

INTERLEAVED = ("health", "get_product", "get_user_warm")  # reads: ratio to the floor, in turns
PK_SELECT = (
    "SELECT id, name, description, sku, manufacturer, quantity, date_added, "
    "date_last_updated, owner_user_id FROM products WHERE id = %s"
)


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Access log lines and EMF metrics go to stdout as on Lambda; here to /dev/null.

    They are still formatted and written, so their cost is measured.
    """
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        yield


def make_handler(database: env.Database) -> tuple[Any, Callable[..., Any]]:
    """The app and handler exactly as service/lambda_handler.py builds them."""
    from service import create_app
    from service.apigateway import make_handler as gateway_handler
    from service.observability import instrument

    # The migrations ran an app first, which set up text logging for the process:
    # start again so this app logs JSON lines to (the current) stdout, as on Lambda.
    service_logger = logging.getLogger("service")
    for handler in list(service_logger.handlers):
        if getattr(handler, "_inventory_handler", False):
            service_logger.removeHandler(handler)
    app = create_app({"DATABASE_URL": database.app_url(), "IMAGES_BUCKET": env.BUCKET})
    return app, instrument(gateway_handler(app), app)


def to_event(request: env.Request) -> dict[str, Any]:
    return make_v1_event(
        method=request.method,
        path=request.path,
        headers=Headers(request.headers),
        body=request.body,
    )


def handler_sender(handler: Callable[..., Any]) -> Sender:
    """Send a request through the Lambda handler; returns (status, body bytes)."""

    def send(request: env.Request) -> tuple[int, bytes]:
        result = handler(to_event(request), LambdaContext())
        body = result.get("body") or ""
        data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        return result["statusCode"], data

    return send


def measure(
    handler: Callable[..., Any],
    scenario: env.Scenario,
    requests: int,
    warmup: int,
    before_each: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Time ``requests`` calls of the handler (event building excluded)."""
    for i in range(warmup):
        result = handler(to_event(scenario.make(i)), LambdaContext())
        assert result["statusCode"] == scenario.expect, (scenario.name, result)
    wall, cpu = [], []
    for i in range(warmup, warmup + requests):
        event, context = to_event(scenario.make(i)), LambdaContext()
        if before_each:
            before_each()
        c0, t0 = time.process_time_ns(), time.perf_counter_ns()
        result = handler(event, context)
        t1, c1 = time.perf_counter_ns(), time.process_time_ns()
        assert result["statusCode"] == scenario.expect, (scenario.name, result)
        wall.append(t1 - t0)
        cpu.append(c1 - c0)
    return summarize(wall, cpu)


def statements(
    app: Any, handler: Callable[..., Any], scenario: env.Scenario, samples: int = 20
) -> dict[str, Any]:
    """What the database sees per request (untimed): statements by the wire (queries and
    pings, as the server's Questions counts them) and by SQLAlchemy's events."""
    from service.extensions import db
    from tests.support.statements import count_statements

    with app.app_context():
        engine = db.engine
    with count_statements(engine) as counts:
        for i in range(samples):
            handler(to_event(scenario.make(10_000_000 + i)), LambdaContext())
    return {
        "statements": counts.statements / samples,
        "sql": len(counts.sql) / samples,
        "transaction_control": len(counts.transaction_control) / samples,
        "pings": counts.wire["ping"] / samples,
        "connects": counts.connects / samples,
        "pool_resets": counts.resets / samples,
    }


def questions_cross_check(
    app: Any, handler: Callable[..., Any], scenario: env.Scenario, samples: int = 50
) -> dict[str, Any]:
    """The server's own count (SHOW SESSION STATUS 'Questions', on the app's pooled
    connection) against the harness's count over the same requests."""
    from sqlalchemy import text

    from service.extensions import db
    from tests.support.statements import count_statements

    def questions() -> int:
        with app.app_context():
            row = db.session.execute(text("SHOW SESSION STATUS LIKE 'Questions'")).one()
            db.session.remove()
        return int(row[1])

    with app.app_context():
        engine = db.engine
    with count_statements(engine) as counts:
        first = questions()
        for i in range(samples):
            handler(to_event(scenario.make(20_000_000 + i)), LambdaContext())
        last = questions()
    # Questions(last) - Questions(first): every statement after the first SHOW up to and
    # including the last one. The harness's queries over the same stretch must match.
    # (Questions counts statements, COM_QUERY, not pings, COM_PING.)
    shows = [i for i, q in enumerate(counts.queries) if q.startswith("SHOW SESSION STATUS")]
    server = last - first
    harness = shows[-1] - shows[0]
    pings = counts.wire["ping"]
    return {
        "scenario": scenario.name,
        "requests": samples,
        "server_questions_per_request": server / samples,
        "harness_queries_per_request": harness / samples,
        "harness_pings_per_request": pings / samples,
        "agree": server == harness,
    }


def floor_connection(database: env.Database) -> pymysql.Connection:
    """A bare pymysql connection as the app's user: what the floor select runs on."""
    return pymysql.connect(
        host=MARIADB["host"], port=MARIADB["port"], user=database.user,
        password=database.password, database=database.name, ssl_disabled=True,
        autocommit=True, charset="utf8mb4",
    )  # fmt: skip


def floor(database: env.Database, product_id: int, requests: int) -> dict[str, Any]:
    """The physical floor: the same primary-key select, bare pymysql, loopback, no TLS."""
    connection = floor_connection(database)
    wall = []
    with connection.cursor() as cursor:
        for i in range(requests + 100):
            t0 = time.perf_counter_ns()
            cursor.execute(PK_SELECT, (product_id,))
            row = cursor.fetchone()
            t1 = time.perf_counter_ns()
            assert row is not None
            if i >= 100:
                wall.append(t1 - t0)
    connection.close()
    return summarize(wall)


def interleaved_ratio(
    database: env.Database, handler: Callable[..., Any], scenario: env.Scenario,
    product_id: int, requests: int,
) -> dict[str, Any]:  # fmt: skip
    """The endpoint and the floor, one sample each in turn: their ratio survives the load
    changes of a shared machine that separate series would not."""
    connection = floor_connection(database)
    ours, floor_ns = [], []
    with connection.cursor() as cursor:
        for i in range(requests + 50):
            event, context = to_event(scenario.make(i)), LambdaContext()
            t0 = time.perf_counter_ns()
            result = handler(event, context)
            t1 = time.perf_counter_ns()
            cursor.execute(PK_SELECT, (product_id,))
            cursor.fetchone()
            t2 = time.perf_counter_ns()
            assert result["statusCode"] == scenario.expect, (scenario.name, result)
            if i >= 50:
                ours.append(t1 - t0)
                floor_ns.append(t2 - t1)
    connection.close()
    endpoint, floor_stats = summarize(ours), summarize(floor_ns)
    return {
        "endpoint_median_ms": endpoint["median_ms"],
        "floor_median_ms": floor_stats["median_ms"],
        "ratio": endpoint["median_ms"] / floor_stats["median_ms"],
    }


def orm_get(app: Any, product_id: int, requests: int) -> dict[str, Any]:
    """Reference point: the ORM's ``session.get`` on a fresh session (the app's engine)."""
    from service.extensions import db
    from service.models import Product

    with app.app_context():
        engine = db.engine
    return _time_sessions(engine, requests, lambda s: s.get(Product, product_id) is not None)


def core_row_read(app: Any, product_id: int, requests: int) -> dict[str, Any]:
    """Reference point: the same read as GET product (service.api.lookups: a select
    through ``read_rows``, on a connection checked out for it since the fresh session has
    not begun, with the dead-connection retry; on MariaDB below SQLAlchemy's Connection
    since service/direct_reads.py, the name kept so runs of both can be compared)."""
    from service.api.lookups import _PRODUCT_ROW
    from service.connections import read_rows
    from service.extensions import db

    with app.app_context():
        engine = db.engine
    if "engine" not in inspect.signature(read_rows).parameters:  # before 32bd653
        return _time_sessions(
            engine, requests, lambda s: bool(read_rows(s, _PRODUCT_ROW, {"product_id": product_id}))
        )
    return _time_sessions(
        engine,
        requests,
        lambda s: bool(read_rows(s, engine, _PRODUCT_ROW, {"product_id": product_id})),
    )


def _time_sessions(engine: Any, requests: int, read: Callable[[Any], bool]) -> dict[str, Any]:
    """``read`` on a fresh session per call, timed after 100 warm-up calls."""
    from sqlalchemy.orm import Session

    wall = []
    for i in range(requests + 100):
        t0 = time.perf_counter_ns()
        with Session(engine) as session:
            assert read(session)
        t1 = time.perf_counter_ns()
        if i >= 100:
            wall.append(t1 - t0)
    return summarize(wall)


def run(
    database: env.Database,
    requests: int,
    warmup: int,
    only: set[str] | None,
    progress: ProgressFn,
) -> dict[str, Any]:
    """Every scenario through the handler, with moto's in-process S3; plus the floor."""
    from moto import mock_aws

    from service.credential_cache import CredentialCache

    os.environ.update(env.FAKE_AWS)
    os.environ.update(env.LAMBDA_ENV)
    results: dict[str, Any] = {}
    cross_check: dict[str, Any] | None = None
    png = env.upload_png()
    with mock_aws(), quiet_stdout():
        env.create_bucket()
        app, handler = make_handler(database)
        seeded = env.seed(handler_sender(handler), png)
        for scenario in env.scenarios(seeded, png, run_id=str(os.getpid())):
            if only and scenario.name not in only:
                continue
            n = scenario.requests or requests
            reset = None
            if scenario.name == "get_user_cold":

                def reset() -> None:  # a fresh container's empty cache: bcrypt runs
                    app.extensions["credential_cache"] = CredentialCache(
                        app.config["AUTH_CACHE_SIZE"], app.config["AUTH_CACHE_TTL"]
                    )

            progress(f"handler {scenario.name} x{n}")
            results[scenario.name] = measure(handler, scenario, n, min(warmup, n), reset)
            if scenario.name != "get_user_cold":
                counted = statements(app, handler, scenario)
                results[scenario.name].update(counted, db_round_trips=counted["statements"])
            if scenario.name in INTERLEAVED:
                results[scenario.name]["interleaved_with_floor"] = interleaved_ratio(
                    database, handler, scenario, seeded.product_id, requests
                )
            if scenario.name == "get_product":
                cross_check = questions_cross_check(app, handler, scenario)
        progress(f"framework floor x{requests}")
        # The same handler answering without the database (the id converter's 404): what
        # the event, apig-wsgi, Flask, the access log and metrics cost on their own.
        no_db = env.Scenario("_framework_no_database", 404, lambda i: env.Request(
            "GET", "/v1/product/0"))  # fmt: skip
        results[no_db.name] = measure(handler, no_db, requests, min(warmup, requests))
        progress(f"floor x{requests}")
        results["_floor_pymysql_pk_select"] = floor(database, seeded.product_id, requests)
        results["_orm_session_get"] = orm_get(app, seeded.product_id, requests)
        with contextlib.suppress(ImportError):  # the code before issue 14's second round
            results["_core_row_read"] = core_row_read(app, seeded.product_id, requests)
        with app.app_context():
            from service.extensions import db

            db.engine.dispose()
    return {"seed": seeded.__dict__, "results": results, "questions_cross_check": cross_check}
