"""Commits whose failure the views answer in a particular way."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import Conflict

from service.extensions import db

logger = logging.getLogger(__name__)

T = TypeVar("T")
DEADLOCK = 1213  # ER_LOCK_DEADLOCK: InnoDB rolled the whole transaction back


def commit_or_conflict(detail: str) -> None:
    """Commit; if a unique index refuses the write, roll back and answer 409 with ``detail``.

    The unique index decides (not a SELECT before the write), so two concurrent
    requests for the same username or SKU cannot both win.
    """
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(detail) from None


def commit_keeping_objects(keys: Iterable[str]) -> None:
    """Commit; if the COMMIT fails, keep the objects ``keys`` names and log each one.

    A COMMIT whose reply is lost (the connection dropped) may have committed or not: the
    rows may exist, so deleting their objects could leave rows pointing at nothing.
    Keeping them can only leave orphans, which are logged (like ``delete_quietly``).
    Call it after ``db.session.flush()``, so that statement errors (which certainly
    wrote nothing) are told apart from a failed COMMIT.

    :raise: whatever the commit raised, after the rollback.
    """
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        for key in keys:
            logger.error(
                "commit outcome unknown: image object kept, possibly orphaned",
                extra={"object_key": key},
            )
        raise


def retry_on_deadlock(work: Callable[[], T]) -> T:
    """Run a transaction's ``work``; if InnoDB picks it as a deadlock victim, run it again.

    A deadlock victim's transaction was rolled back entirely, so running the same work
    once more is safe; a second deadlock is answered like any database error. ``work``
    must build its ORM objects itself (the rollback discards pending ones).
    """
    try:
        return work()
    except OperationalError as error:
        if not error.orig or error.orig.args[:1] != (DEADLOCK,):
            raise
        db.session.rollback()
        logger.info("deadlock: running the transaction once more")
    return work()
