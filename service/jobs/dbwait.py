"""Wait for the database: the one-off jobs connect with retries and backoff, within a budget.

Aurora Serverless v2 with a minimum capacity of 0 ACUs pauses when idle; a
connection attempt makes it resume, and the connection is held (accepted, not
yet greeted) until it has, about 15 s.
https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2-auto-pause.html

The migration job and the rotation function therefore wait up to
``WAIT_SECONDS`` (less when their Lambda invocation has less time left), retrying
only errors that time can cure: refused or timed-out connections, a server
that closes the connection or is shutting down, too many connections. Access
denied, an unknown database or a certificate that does not verify fail at once.
"""

from __future__ import annotations

import logging
import random
import ssl
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pymysql

from service.jobs import dbusers

logger = logging.getLogger(__name__)

T = TypeVar("T")

WAIT_SECONDS = 60.0  # for the database as a whole: covers a resume with room to spare
ATTEMPT_SECONDS = 20.0  # one attempt may sit out a whole resume on a held connection
MIN_ATTEMPT_SECONDS = 1.0
FIRST_PAUSE, MAX_PAUSE = 0.5, 5.0  # exponential backoff between attempts, with jitter

# MySQL client/server error codes worth another attempt.
# https://dev.mysql.com/doc/mysql-errors/8.0/en/client-error-reference.html
TRANSIENT_ERRORS = {
    1040: "too many connections",
    1053: "server shutdown in progress",
    2003: "cannot connect (refused, unreachable or timed out)",
    2006: "server has gone away",
    2013: "lost connection (no greeting in time)",
}


class DatabaseUnavailable(Exception):
    """The database did not accept a connection within the budget."""


def is_transient(error: BaseException) -> bool:
    """True for connection errors that waiting may cure."""
    if not isinstance(error, pymysql.err.OperationalError) or not error.args:
        return False
    if error.args[0] not in TRANSIENT_ERRORS:
        return False
    # pymysql reports TLS failures as 2003 too; a certificate will not fix itself.
    return not isinstance(getattr(error, "original_exception", None), ssl.SSLCertVerificationError)


def budget_for(context: Any, *, reserve: float, cap: float = WAIT_SECONDS) -> float:
    """How long to wait: ``cap``, or less so that ``reserve`` seconds of the invocation remain."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return cap
    return max(MIN_ATTEMPT_SECONDS, min(cap, float(remaining()) / 1000 - reserve))


def retry(
    attempt: Callable[[float], T],
    *,
    budget: float = WAIT_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
) -> T:
    """Call ``attempt(timeout)`` until it succeeds, a permanent error, or ``budget`` is spent."""
    deadline = clock() + budget
    number = 0
    while True:
        number += 1
        timeout = max(MIN_ATTEMPT_SECONDS, min(ATTEMPT_SECONDS, deadline - clock()))
        try:
            return attempt(timeout)
        except Exception as error:
            if not is_transient(error):
                raise
            # Half fixed, half random: spread the retries of many callers.
            pause = min(MAX_PAUSE, FIRST_PAUSE * 2 ** (number - 1)) * (0.5 + jitter() / 2)
            if deadline - clock() <= pause:
                raise DatabaseUnavailable(
                    f"the database did not accept a connection within {budget:g} s"
                    f" ({number} attempts); last error: {error.args[-1]}"
                ) from error
            logger.warning(
                "database not ready (attempt %d: %s); retrying in %.1f s",
                number,
                TRANSIENT_ERRORS[error.args[0]],
                pause,
            )
            sleep(pause)


def connect(
    secret: dict[str, Any],
    config: dict[str, Any],
    *,
    budget: float = WAIT_SECONDS,
    **options: Any,
) -> Any:
    """A connection as ``dbusers.connect`` makes it, waiting up to ``budget`` for the database."""

    def attempt(timeout: float) -> Any:
        return dbusers.connect(secret, config, timeout=timeout, **options)

    return retry(attempt, budget=budget)
