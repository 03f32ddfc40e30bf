"""Health check: 200 when the database answers, else 503."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from sqlalchemy import Select, literal_column, select

from service.api.operation import operation
from service.connections import read_rows
from service.extensions import db

bp = Blueprint("health", __name__)
_ONE: Select[Any] = select(literal_column("1"))  # "SELECT 1"


@bp.get("/healthz")
@operation(200, "Healthy", "Health")
def get_health() -> tuple[dict[str, str], dict[str, str]]:
    """Health check: 200 when the database answers."""
    # No ORM session: a connection checked out for the one statement (errors become 503
    # through the error handlers).
    read_rows(db.session, db.engine, _ONE, {})
    return {"status": "ok", "database": "ok"}, {"Cache-Control": "no-cache"}
