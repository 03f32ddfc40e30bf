"""`logs`: the functions' CloudWatch Logs, oldest first, with Powertools' JSON lines and
the metrics (Embedded Metric Format) lines rendered for people.

One FilterLogEvents query per log group (`/aws/lambda/<function>`, what Terraform
creates), merged by time. `--follow` asks again every few seconds for what came since
the newest event seen, skipping events already printed (same timestamp, same id).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from deploy.errors import DeployError

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient

_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Powertools' standard keys: shown in the line's head, or noise for a reader.
_HIDDEN = frozenset(
    {
        "level", "location", "message", "timestamp", "service", "logger", "sampling_rate",
        "xray_trace_id", "cold_start", "function_name", "function_memory_size",
        "function_arn", "function_request_id", "lambda_request_id", "exception",
        "exception_name", "stack_trace",
    }
)  # fmt: skip


def log_group(function: str) -> str:
    """The log group of a function (terraform/lambda.tf: /aws/lambda/<name>)."""
    return f"/aws/lambda/{function}"


def parse_since(text: str, now: float) -> int:
    """Epoch milliseconds for `10m`, `2h`, `1d`, `90s`, `1h30m`, or an ISO 8601 time."""
    spec = text.strip().lower()
    parts = _DURATION.findall(spec)
    if parts and _DURATION.sub("", spec).strip() == "":
        seconds = sum(int(n) * _SECONDS[unit] for n, unit in parts)
        return int((now - seconds) * 1000)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise DeployError(f"--since takes 10m, 2h, 1d or an ISO time, not {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def fetch(
    client: CloudWatchLogsClient, group: str, start_ms: int, pattern: str | None
) -> list[dict[str, Any]]:
    """Every event of a log group since `start_ms` that matches the filter pattern."""
    arguments: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
    if pattern:
        arguments["filterPattern"] = pattern
    found: list[dict[str, Any]] = []
    for page in client.get_paginator("filter_log_events").paginate(**arguments):
        found += [dict(event) for event in page.get("events", [])]
    return found


def _clock(timestamp_ms: int) -> str:
    moment = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{timestamp_ms % 1000:03d}"


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def render_message(message: str) -> str:
    """A log line for people: Powertools JSON becomes `LEVEL logger: message key=value`,
    an EMF line becomes `metrics Name=value ...` (after the access record it carries, if
    any); anything else stays as it is."""
    text = message.rstrip("\n")
    if not text.lstrip().startswith("{"):
        return text
    try:
        record = json.loads(text)
    except json.JSONDecodeError:
        return text
    if not isinstance(record, dict):
        return text
    metrics = ""
    if "_aws" in record:
        names = [
            m["Name"]
            for directive in record["_aws"].get("CloudWatchMetrics", [])
            for m in directive.get("Metrics", [])
        ]
        metrics = "metrics " + " ".join(f"{n}={_value(record.get(n))}" for n in names)
        if "message" not in record:
            return metrics
        # The API's access record travels in its EMF line (service/observability.py).
        record = {k: v for k, v in record.items() if k != "_aws" and k not in names}
    head = f"{record.get('level', '-'):<7} {record.get('logger') or record.get('service', '')}"
    request = str(record.get("function_request_id") or record.get("lambda_request_id") or "")
    extras = " ".join(f"{k}={_value(v)}" for k, v in record.items() if k not in _HIDDEN)
    line = " ".join(p for p in (head + ":", str(record.get("message", "")), extras) if p)
    if request:
        line += f" [{request[:8]}]"
    if metrics:
        line += " " + metrics
    if record.get("exception"):
        line += "\n" + "\n".join("    " + x for x in str(record["exception"]).splitlines())
    return line


def render(role: str, event: Mapping[str, Any]) -> str:
    """One event as printed: time, which function, the readable message."""
    return f"{_clock(int(event['timestamp']))} {role:<7} {render_message(event['message'])}"


def _merged(
    client: CloudWatchLogsClient, groups: Mapping[str, str], start_ms: int, pattern: str | None
) -> list[tuple[str, dict[str, Any]]]:
    found = [
        (role, e) for role, group in groups.items() for e in fetch(client, group, start_ms, pattern)
    ]
    return sorted(found, key=lambda item: (item[1]["timestamp"], item[1].get("eventId", "")))


def show(
    client: CloudWatchLogsClient,
    groups: Mapping[str, str],
    start_ms: int,
    pattern: str | None,
    out: TextIO,
    *,
    follow: bool = False,
    interval: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Print the events since `start_ms`; with `follow`, keep printing new ones until
    interrupted. Returns how many events were printed."""
    printed: set[str] = set()
    count = 0

    def emit(batch: Iterable[tuple[str, dict[str, Any]]]) -> int:
        nonlocal start_ms
        new = 0
        for role, event in batch:
            key = f"{role}/{event.get('eventId') or (event['timestamp'], event['message'])}"
            if key in printed:
                continue
            printed.add(key)
            print(render(role, event), file=out, flush=True)
            start_ms = max(start_ms, int(event["timestamp"]))
            new += 1
        return new

    count += emit(_merged(client, groups, start_ms, pattern))
    while follow:
        try:
            sleep(interval)
            count += emit(_merged(client, groups, start_ms, pattern))
        except KeyboardInterrupt:
            break
    return count
