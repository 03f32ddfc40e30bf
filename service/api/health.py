"""Health check: 200 when the database answers, else 503."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import text

from service.api.operation import operation
from service.connections import read_rows
from service.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@operation(200, "Healthy", "Health")
def get_health() -> tuple[dict[str, str], dict[str, str]]:
    """Health check: 200 when the database answers."""
    # No ORM session: a connection checked out for the one statement (errors become 503
    # through the error handlers).
    read_rows(db.session, db.engine, text("SELECT 1"), {})
    return {"status": "ok", "database": "ok"}, {"Cache-Control": "no-cache"}
