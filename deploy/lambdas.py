"""Lambda operations the release steps share: waiting for updates and versions, retrying
a change that collides with one in progress, and a synchronous invoke with its log tail.

Lambda applies code and configuration changes asynchronously: while an update is in
progress (`LastUpdateStatus: InProgress`), the next UpdateFunctionCode or
PublishVersion fails with ResourceConflictException, and a version just published is
`Pending` until it can be invoked. botocore's waiters poll for exactly those states
(https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html).
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from deploy.errors import DeployError

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_lambda.type_defs import WaiterConfigTypeDef

T = TypeVar("T")
# Poll every 2 s for up to 5 minutes; tests make it instant.
WAITER_CONFIG: WaiterConfigTypeDef = {"Delay": 2, "MaxAttempts": 150}
CONFLICT_RETRIES = 5


def _log(message: str) -> None:
    print(message, file=sys.stderr)


def _waiter_failed(error: Any, what: str) -> Exception:
    """A DeployError for a failed wait, or the ClientError the waiter swallowed."""
    from botocore.exceptions import ClientError

    last = error.last_response or {}
    if "Error" in last:  # e.g. the function or version does not exist
        operation = "GetFunctionConfiguration" if "Version" in what else "GetFunction"
        return ClientError(cast(Any, last), operation)
    config = last.get("Configuration", last)
    reason = config.get("LastUpdateStatusReason") or config.get("StateReason") or ""
    state = config.get("LastUpdateStatus") or config.get("State") or "unknown"
    if "Max attempts exceeded" in str(error):
        seconds = WAITER_CONFIG.get("Delay", 0) * WAITER_CONFIG.get("MaxAttempts", 0)
        return DeployError(f"{what} is still {state} after {seconds} s; try again later")
    return DeployError(f"{what} failed ({state}): {reason or error}")


def wait_updated(client: LambdaClient, function: str) -> None:
    """Wait until the function is Active and no update is in progress."""
    from botocore.exceptions import WaiterError

    try:
        client.get_waiter("function_active_v2").wait(
            FunctionName=function, WaiterConfig=WAITER_CONFIG
        )
        client.get_waiter("function_updated_v2").wait(
            FunctionName=function, WaiterConfig=WAITER_CONFIG
        )
    except WaiterError as error:
        raise _waiter_failed(error, f"the last update of function {function}") from None


def wait_version_active(client: LambdaClient, function: str, version: str) -> None:
    """Wait until a published version can be invoked (State Active)."""
    from botocore.exceptions import WaiterError

    try:
        client.get_waiter("published_version_active").wait(
            FunctionName=function, Qualifier=version, WaiterConfig=WAITER_CONFIG
        )
    except WaiterError as error:
        raise _waiter_failed(error, f"Version {version} of function {function}") from None


def retry_on_conflict(client: LambdaClient, function: str, change: Callable[[], T]) -> T:
    """Run a change; while another update of the function is in progress, wait and retry."""
    for attempt in range(1, CONFLICT_RETRIES + 1):
        try:
            return change()
        except client.exceptions.ResourceConflictException:
            if attempt == CONFLICT_RETRIES:
                raise
            _log(f"function {function} is being updated; waiting (attempt {attempt})")
            wait_updated(client, function)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Invocation:
    """What a synchronous invoke returned."""

    function: str
    qualifier: str
    payload: Any  # the decoded JSON result (or the raw text if it is not JSON)
    function_error: str | None  # "Unhandled" when the function raised
    log_tail: str  # the last 4 KB of the invocation's log

    def error_summary(self) -> str:
        """`ErrorType: message` of a failed invocation."""
        if isinstance(self.payload, dict):
            kind = self.payload.get("errorType", "Error")
            return f"{kind}: {self.payload.get('errorMessage', '')}"
        return str(self.payload)


def invoke(client: LambdaClient, function: str, qualifier: str, payload: Any) -> Invocation:
    """Invoke a published version (or alias) synchronously, with the log tail."""
    response = client.invoke(
        FunctionName=function,
        Qualifier=qualifier,
        InvocationType="RequestResponse",
        LogType="Tail",
        Payload=json.dumps(payload).encode(),
    )
    raw = response["Payload"].read()
    try:
        result = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        result = raw.decode("utf-8", errors="replace")
    tail = base64.b64decode(response.get("LogResult") or b"").decode("utf-8", "replace")
    return Invocation(function, qualifier, result, response.get("FunctionError"), tail)


def log_tail_block(invocation: Invocation) -> str:
    """The log tail framed for stderr ('' when there is none)."""
    if not invocation.log_tail.strip():
        return ""
    name = f"{invocation.function}:{invocation.qualifier}"
    return f"--- last log lines of {name} ---\n{invocation.log_tail.rstrip()}\n---"


def latest_version(client: LambdaClient, function: str) -> str | None:
    """The highest published version number (None when only $LATEST exists)."""
    numbers = []
    for page in client.get_paginator("list_versions_by_function").paginate(FunctionName=function):
        numbers += [int(v["Version"]) for v in page["Versions"] if v["Version"].isdigit()]
    return str(max(numbers)) if numbers else None
