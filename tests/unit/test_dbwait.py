"""service.jobs.dbwait: which errors are retried, the backoff, the budget (a fake clock)."""

from __future__ import annotations

import socket
import ssl

import pymysql
import pytest

from service.jobs import dbwait, migrate, rotate


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Attempts:
    """An attempt that fails with the given errors in turn, then returns "connected"."""

    def __init__(self, clock: FakeClock, errors: list[Exception], cost: float = 0.0) -> None:
        self.clock = clock
        self.errors = errors
        self.cost = cost  # seconds each failing attempt takes (a timeout, say)
        self.timeouts: list[float] = []

    def __call__(self, timeout: float) -> str:
        self.timeouts.append(timeout)
        if self.errors:
            self.clock.now += min(self.cost, timeout)
            raise self.errors.pop(0)
        return "connected"


def operational(code: int, message: str = "boom") -> pymysql.err.OperationalError:
    return pymysql.err.OperationalError(code, message)


def certificate_error() -> pymysql.err.OperationalError:
    error = operational(2003, "Can't connect to MySQL server (certificate verify failed)")
    error.original_exception = ssl.SSLCertVerificationError("certificate verify failed")
    return error


@pytest.mark.parametrize("code", [1040, 1053, 2003, 2006, 2013])
def test_connection_errors_that_time_can_cure_are_transient(code):
    assert dbwait.is_transient(operational(code))


@pytest.mark.parametrize(
    "error",
    [operational(1045, "Access denied"), operational(1049, "Unknown database"),
     operational(1044, "Access denied to database"), certificate_error(),
     pymysql.err.ProgrammingError(1064, "syntax"), ValueError("no host")],
)  # fmt: skip
def test_everything_else_is_permanent(error):
    assert not dbwait.is_transient(error)


def test_a_refused_connection_is_transient():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(pymysql.err.OperationalError) as refused:
        pymysql.connect(host="127.0.0.1", port=port, user="x", connect_timeout=1)
    assert dbwait.is_transient(refused.value)


def test_transient_errors_are_retried_with_growing_pauses_until_it_connects():
    clock = FakeClock()
    attempt = Attempts(clock, [operational(2003)] * 4)
    result = dbwait.retry(attempt, budget=60, clock=clock, sleep=clock.sleep, jitter=lambda: 1.0)
    assert result == "connected"
    assert len(attempt.timeouts) == 5
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0]  # doubling (jitter at its top)


def test_pauses_are_capped_and_jittered():
    clock = FakeClock()
    attempt = Attempts(clock, [operational(2013)] * 8)
    dbwait.retry(attempt, budget=60, clock=clock, sleep=clock.sleep, jitter=lambda: 0.0)
    assert max(clock.sleeps) == dbwait.MAX_PAUSE / 2
    assert all(pause <= dbwait.MAX_PAUSE for pause in clock.sleeps)


def test_a_permanent_error_fails_at_once():
    clock = FakeClock()
    attempt = Attempts(clock, [operational(1045, "Access denied for user 'admin'")])
    with pytest.raises(pymysql.err.OperationalError, match="Access denied"):
        dbwait.retry(attempt, budget=60, clock=clock, sleep=clock.sleep)
    assert (len(attempt.timeouts), clock.sleeps) == (1, [])


def test_it_gives_up_with_a_clear_error_once_the_budget_is_spent():
    clock = FakeClock()
    started = clock.now
    # A database that never greets: every attempt waits out its whole timeout.
    attempt = Attempts(clock, [operational(2013, "Lost connection (timed out)")] * 100, cost=99)
    with pytest.raises(dbwait.DatabaseUnavailable, match=r"within 60 s \(3 attempts\)") as error:
        dbwait.retry(attempt, budget=60, clock=clock, sleep=clock.sleep, jitter=lambda: 1.0)
    assert "timed out" in str(error.value)
    assert clock.now - started <= 60
    # Each attempt may last a whole resume, but never past the budget.
    assert attempt.timeouts == [20.0, 20.0, pytest.approx(60 - 40 - 0.5 - 1.0)]


class Context:
    """A Lambda context with ``seconds`` left."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds * 1000)


@pytest.mark.parametrize(
    ("context", "reserve", "budget"),
    [(None, 30, 60), (Context(300), 180, 60), (Context(120), 30, 60), (Context(50), 30, 20),
     (Context(5), 30, dbwait.MIN_ATTEMPT_SECONDS)],
)  # fmt: skip
def test_the_budget_fits_in_what_is_left_of_the_invocation(context, reserve, budget):
    assert dbwait.budget_for(context, reserve=reserve) == budget


@pytest.mark.parametrize(
    ("reserve", "lambda_timeout"),
    [(migrate.RESERVE_SECONDS, 300), (rotate.RESERVE_SECONDS, 120)],
)
def test_both_jobs_wait_the_full_minute_within_their_lambda_timeouts(reserve, lambda_timeout):
    # Timeouts agreed with the Terraform stream: migration job 300 s, rotation 120 s.
    assert dbwait.budget_for(Context(lambda_timeout), reserve=reserve) == dbwait.WAIT_SECONDS
