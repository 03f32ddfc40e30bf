"""retry_on_deadlock: a deadlock victim's transaction runs once more, nothing else does."""

import pymysql
import pytest
from sqlalchemy.exc import OperationalError

from service import create_app
from service.api.commits import retry_on_deadlock


def _error(code, message):
    return OperationalError("INSERT ...", {}, pymysql.err.OperationalError(code, message))


@pytest.fixture
def app_context(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    with app.app_context():
        yield


def _flaky(*errors):
    calls = []

    def work():
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return "done"

    return work, calls


def test_a_deadlock_victim_runs_once_more(app_context):
    work, calls = _flaky(_error(1213, "Deadlock found when trying to get lock"))
    assert retry_on_deadlock(work) == "done"
    assert len(calls) == 2


def test_a_second_deadlock_is_raised(app_context):
    deadlock = _error(1213, "Deadlock found when trying to get lock")
    work, calls = _flaky(deadlock, deadlock)
    with pytest.raises(OperationalError):
        retry_on_deadlock(work)
    assert len(calls) == 2


def test_other_database_errors_are_not_retried(app_context):
    # A lost connection may have committed: running the work again could write twice.
    work, calls = _flaky(_error(2013, "Lost connection to MySQL server during query"))
    with pytest.raises(OperationalError):
        retry_on_deadlock(work)
    assert len(calls) == 1
