"""Before `promote`: invoke the new API version directly with an API Gateway `GET /healthz`
event, and refuse to move the alias unless it answers 200.

This catches a release that cannot import, cannot reach the database or cannot read its
secret while the previous version still serves all traffic (the smoke test after promote
only sees the problem once users do).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deploy import events, lambdas
from deploy.errors import DeployError

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

HEALTH_PATH = "/healthz"


def healthz_event() -> dict[str, Any]:
    """A REST (v1) proxy event for GET /healthz, as API Gateway sends it."""
    request = events.HttpRequest(
        method="GET",
        target=HEALTH_PATH,
        headers=[("Host", "deploy-check.invalid"), ("User-Agent", "python -m deploy promote")],
        body=b"",
        source_ip="127.0.0.1",
    )
    return events.build_event(
        request, path=HEALTH_PATH, stage="deploy-check", binary_media_types=("*/*",)
    )


def check_version(client: LambdaClient, function: str, version: str) -> int:
    """Invoke `version` with GET /healthz; return 200 or raise.

    :raise DeployError: with the status and body (or the error) and the log tail.
    """
    invocation = lambdas.invoke(client, function, version, healthz_event())
    where = f"version {version} of {function}"
    tail = lambdas.log_tail_block(invocation)
    if invocation.function_error:
        raise DeployError(
            f"{where} failed on GET {HEALTH_PATH} ({invocation.error_summary()}); "
            "the alias was not moved",
            details=tail,
        )
    try:
        response = events.parse_result(invocation.payload)
    except events.InvalidResult as problem:
        raise DeployError(
            f"{where} answered GET {HEALTH_PATH} with no valid API Gateway response "
            f"({problem}); the alias was not moved",
            details=tail,
        ) from None
    if response.status != 200:
        body = response.body.decode("utf-8", "replace").strip()[:300]
        raise DeployError(
            f"{where} answered GET {HEALTH_PATH} with {response.status}: {body}; "
            "the alias was not moved",
            details=tail,
        )
    return response.status
