"""moto and botocore in tests: fake credentials, one model loader, retries without waiting."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
}


def share_botocore_loader() -> None:
    """Load botocore's service models once per process instead of once per session.

    moto's ``mock_aws`` resets boto3's default session on every start, and every new
    session parses the S3 / Secrets Manager / Lambda models again (~30 ms of JSON per
    client): that was a third of the API tests' time. The models are read-only data
    (botocore's own per-session cache already hands the same objects to every client).
    """
    import botocore.session

    if not hasattr(botocore.session.create_loader, "cache_info"):
        botocore.session.create_loader = functools.cache(botocore.session.create_loader)


@contextlib.contextmanager
def retries_without_waiting() -> Iterator[list[float]]:
    """botocore retries as configured, without sleeping between attempts.

    Yields the back-off delays botocore asked for. The retry decision and the number
    of attempts are botocore's own; only the wall-clock wait is skipped.
    """
    import botocore.endpoint

    waits: list[float] = []
    real_time: Any = botocore.endpoint.time
    botocore.endpoint.time = SimpleNamespace(sleep=waits.append)  # type: ignore[assignment]
    try:
        yield waits
    finally:
        botocore.endpoint.time = real_time
