"""Health check: 200 when the database answers, else 503."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import text

from service.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def get_health() -> tuple[dict[str, str], int, dict[str, str]]:
    """Ping the database; errors become 503 through the error handlers."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}, 200, {"Cache-Control": "no-cache"}
