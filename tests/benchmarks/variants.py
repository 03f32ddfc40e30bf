"""What each part of a warm GET product costs: the handler as shipped and with one change
undone at a time, one process, every variant and the raw pymysql floor in turns (so all
see the same load), medians. ``python -m tests.benchmarks.variants [--rounds N]``.

- ``shipped``: as service/lambda_handler.py builds it
- ``core_reads``: reads through SQLAlchemy's Connection, as before they ran on the
  DB-API cursor (service/direct_reads.py)
- ``session_reads``: reads through the request's ORM session, as before ``read_rows``
  checked out a connection of its own (service/connections.py)
- ``log_line_and_emf``: the access record as a log line of its own next to the EMF
  line, as before it travelled in the EMF line (service/observability.py)
- ``powertools_metrics``: the EMF line written by Powertools' ``Metrics``, as before
  service/emf.py wrote it
- ``no_access_record_no_metrics``: neither (what they cost together)
- ``floor``: the same primary-key select on a bare pymysql connection
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from tests.benchmarks import environment as env
from tests.benchmarks.inprocess import (
    PK_SELECT,
    floor_connection,
    handler_sender,
    make_handler,
    quiet_stdout,
    to_event,
)
from tests.support.powertools_metrics import PowertoolsMetrics
from tests.support.transport import LambdaContext

VARIANTS = (
    "shipped",
    "core_reads",
    "session_reads",
    "log_line_and_emf",
    "powertools_metrics",
    "no_access_record_no_metrics",
)


def _switches(app: Any) -> Callable[[str], None]:
    """A function that puts the app into one variant (undoing the previous one)."""
    from service import connections, direct_reads, observability

    metrics = app.extensions["metrics"]
    shipped = metrics._metrics
    powertools = PowertoolsMetrics(app.config["METRICS_NAMESPACE"], app.config["SERVICE_NAME"])
    access = logging.getLogger("service.access")
    in_use = connections._session_in_use
    supports = direct_reads.supports

    def both(response: Any) -> Any:
        # The log line, then the shipped path without the record in the EMF line.
        metrics.enabled = False
        try:
            return observability._log_request(response)
        finally:
            metrics.enabled = True

    def set_variant(name: str) -> None:
        direct_reads.supports = (  # type: ignore[method-assign]
            (lambda _statement, _engine: False) if name == "core_reads" else supports
        )
        connections._session_in_use = (  # type: ignore[assignment]
            (lambda session: session.registry()) if name == "session_reads" else in_use
        )
        metrics._metrics = {
            "no_access_record_no_metrics": None,
            "powertools_metrics": powertools,
        }.get(name, shipped)
        access.disabled = name == "no_access_record_no_metrics"
        hooks = app.after_request_funcs[None]
        for i, hook in enumerate(hooks):
            if hook in (observability._log_request, both):
                hooks[i] = both if name == "log_line_and_emf" else observability._log_request

    return set_variant


def run(rounds: int) -> dict[str, float]:
    from moto import mock_aws

    os.environ.update(env.FAKE_AWS)
    os.environ.update(env.LAMBDA_ENV)
    database = env.create_database()
    try:
        with mock_aws(), quiet_stdout():
            env.create_bucket()
            app, handler = make_handler(database)
            seeded = env.seed(handler_sender(handler), env.upload_png())
            event = to_event(env.Request("GET", f"/v1/product/{seeded.product_id}"))
            raw = floor_connection(database)
            set_variant = _switches(app)
            samples: dict[str, list[float]] = {name: [] for name in (*VARIANTS, "floor")}
            with raw.cursor() as cursor:
                for i in range(rounds + 300):
                    for name in samples:
                        if name != "floor":
                            set_variant(name)
                        started = time.perf_counter()
                        if name == "floor":
                            cursor.execute(PK_SELECT, (seeded.product_id,))
                            assert cursor.fetchone() is not None
                        else:
                            assert handler(event, LambdaContext())["statusCode"] == 200
                        if i >= 300:  # warmed up
                            samples[name].append(time.perf_counter() - started)
            set_variant("shipped")
            raw.close()
            with app.app_context():
                from service.extensions import db

                db.engine.dispose()
    finally:
        database.drop()
    return {name: statistics.median(values) * 1000 for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4000)
    medians = run(parser.parse_args().rounds)
    floor = medians["floor"]
    print("| variant | GET product median ms | × floor |\n|---|---|---|")
    for name, median in medians.items():
        print(f"| {name} | {median:.3f} | {median / floor:.2f} |")


if __name__ == "__main__":
    main()
