"""Logs, metrics and tracing: JSON logs with request ids, an access record per request,
CloudWatch metrics as Embedded Metric Format lines (no API calls), optional X-Ray.

Powertools formats the JSON logs and traces; service/emf.py writes the metrics. Nothing
here calls AWS on the hot path. Where metrics are on (Lambda), the access record travels
in the invocation's EMF line as its properties (searchable in CloudWatch Logs Insights):
one JSON line per request instead of two, ~0.1 ms less per request
(docs/performance.md). Elsewhere it is a log line of the ``service.access`` logger.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import re
import sys
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, request

from service.emf import EmbeddedMetrics
from service.storage import LOCAL_DOWNLOAD_PREFIX

logger = logging.getLogger("service.access")

# Request ids of the invocation being served, added to every log line.
_REQUEST_IDS: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "request_ids", default=None
)
_HANDLER_MARK = "_inventory_handler"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Secrets that travel in URLs: the local store's download tokens (a path segment that
# grants access to an image, like a bearer token) and any query string.
REDACTED = "<redacted>"
_URL_SECRETS = re.compile(rf"({re.escape(LOCAL_DOWNLOAD_PREFIX)}/)[^/?\s\"]+|\?[^\s\"]*")


def redact_url(text: str) -> str:
    """``text`` with download tokens and query strings replaced by ``<redacted>``."""
    return _URL_SECRETS.sub(lambda m: m.group(1) + REDACTED if m.group(1) else "?" + REDACTED, text)


class RedactUrlSecretsFilter(logging.Filter):
    """Redacts URL secrets in the request lines Werkzeug's server logs (``flask run``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_url(a) if isinstance(a, str) else a for a in record.args)
        return True


class RequestIdFilter(logging.Filter):
    """Adds the logger's name and the invocation's ids to each record (Powertools prints extras)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.logger = record.name
        for key, value in (_REQUEST_IDS.get() or {}).items():
            setattr(record, key, value)
        return True


def configure_logging(level: str, *, json_logs: bool, service: str = "inventory-api") -> None:
    """Send the ``service`` loggers to stdout, as JSON on Lambda, as text locally."""
    root = logging.getLogger("service")
    root.setLevel(level)
    if any(getattr(h, _HANDLER_MARK, False) for h in root.handlers):
        return  # one handler per process, however many apps are created
    handler = logging.StreamHandler(sys.stdout)
    setattr(handler, _HANDLER_MARK, True)
    if json_logs:
        from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

        handler.setFormatter(LambdaPowertoolsFormatter(service=service, utc=True))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    # The Lambda runtime puts its own handler on the root logger: do not print twice.
    root.propagate = not json_logs


class Metrics:
    """Counts and timings flushed as one EMF line per invocation; inert when disabled."""

    def __init__(self, enabled: bool, namespace: str, service: str) -> None:
        self.enabled = enabled
        self._metrics = EmbeddedMetrics(namespace, {"service": service}) if enabled else None

    def add(self, name: str, unit: str, value: float) -> None:
        if self._metrics is not None:
            self._metrics.add(name, unit, value)

    def describe(self, properties: dict[str, Any]) -> None:
        """Properties of the next EMF line that are not metrics (request ids, the route)."""
        if self._metrics is not None:
            self._metrics.describe(properties)

    def flush(self) -> None:
        if self._metrics is None:
            return
        try:
            self._metrics.flush()
        except Exception:  # a metrics problem must never fail the request it measured
            logging.getLogger(__name__).exception("could not flush metrics")


def current_metrics() -> Metrics:
    """The metrics of the running app."""
    from flask import current_app

    metrics: Metrics = current_app.extensions["metrics"]
    return metrics


def _start_timer() -> None:
    g.started = time.perf_counter()


def _log_request(response: Response) -> Response:
    elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    route = request.url_rule.rule if request.url_rule else None
    status = response.status_code
    path = redact_url(request.path)  # never the query, never a download token
    metrics = current_metrics()
    metrics.add("Requests", "Count", 1)
    metrics.add("Latency", "Milliseconds", elapsed_ms)
    if status >= 400:
        metrics.add("Errors4xx" if status < 500 else "Errors5xx", "Count", 1)
    if not logger.isEnabledFor(logging.INFO):
        return response
    message = f"{request.method} {path} {status} {elapsed_ms:.1f}ms"
    fields = {
        "http_method": request.method,
        "route": route,
        "path": path,
        "status": status,
        "latency_ms": round(elapsed_ms, 2),
    }
    if metrics.enabled:
        # The access record rides in the EMF line: the fields a log line would carry.
        metrics.describe(
            {
                "level": "INFO",
                "logger": logger.name,
                "message": message,
                **fields,
                **(_REQUEST_IDS.get() or {}),
            }
        )
    else:
        logger.info(message, extra=fields)
    return response


def init_app(app: Flask) -> None:
    """Logging, metrics and the per-request access record."""
    configure_logging(
        app.config["LOG_LEVEL"],
        json_logs=app.config["LOG_JSON"],
        service=app.config["SERVICE_NAME"],
    )
    app.extensions["metrics"] = Metrics(
        app.config["METRICS_ENABLED"], app.config["METRICS_NAMESPACE"], app.config["SERVICE_NAME"]
    )
    app.before_request(_start_timer)
    app.after_request(_log_request)
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactUrlSecretsFilter) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(RedactUrlSecretsFilter())


class HandlerFailed(Exception):
    """The Lambda handler raised; the original exception is in the function's logs."""


def instrument(handler: Callable[[Any, Any], Any], app: Flask) -> Callable[[Any, Any], Any]:
    """Wrap the Lambda handler: request ids on every log line, metrics flushed, tracing."""
    metrics: Metrics = app.extensions["metrics"]
    cold = [True]

    @functools.wraps(handler)
    def instrumented(event: Any, context: Any) -> Any:
        request_context = event.get("requestContext") if isinstance(event, dict) else None
        if not isinstance(request_context, dict):
            request_context = {}
        token = _REQUEST_IDS.set(
            {
                "apigw_request_id": request_context.get("requestId"),
                "lambda_request_id": getattr(context, "aws_request_id", None),
                "cold_start": cold[0],
            }
        )
        cold[0] = False
        try:
            return handler(event, context)
        except Exception:
            # The app answers every request, so this is a bug: its details go to the
            # function's logs, while the trace (and Lambda's error reply) only learn
            # that the handler failed, never a message that may name a user.
            logging.getLogger(__name__).exception("the Lambda handler failed")
            raise HandlerFailed("the handler failed; see the function's logs") from None
        finally:
            metrics.flush()
            _REQUEST_IDS.reset(token)

    if app.config["TRACING_ENABLED"]:
        # Imported only when asked for: the X-Ray SDK patches botocore (every AWS client
        # the app makes is botocore's: service/aws_sdk.py; patching "boto3" would import
        # boto3 for nothing) and pymysql.
        from aws_lambda_powertools import Tracer

        tracer = Tracer(service=app.config["SERVICE_NAME"], patch_modules=["botocore", "pymysql"])
        # Never the handler's response or error as trace metadata: responses carry
        # e-mail addresses, names and presigned download URLs (issue 11, item 3).
        return tracer.capture_lambda_handler(
            instrumented, capture_response=False, capture_error=False
        )
    return instrumented
