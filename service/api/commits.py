"""Commits whose failure the views answer in a particular way."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import Conflict

from service.extensions import db

logger = logging.getLogger(__name__)


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
