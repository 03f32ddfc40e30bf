"""The one place that builds error responses: RFC 9457 problem details.

Views raise werkzeug's HTTP exceptions (``NotFound("Product 7 does not exist.")``,
``ServiceUnavailable(..., retry_after=RETRY_AFTER_SECONDS)``) or ``ValidationError``;
the handlers below turn every exception into the same ``application/problem+json`` body.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import BadRequest, HTTPException, ServiceUnavailable

from service.extensions import db
from service.secrets import SecretUnavailable

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5


class ValidationError(BadRequest):
    """The request body is invalid (400); ``errors`` names each bad field."""

    def __init__(
        self, errors: list[dict[str, str]], detail: str = "The request body is invalid."
    ) -> None:
        super().__init__(detail)
        self.errors = errors


def problem(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build a problem-details response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    response.headers.update(headers or {})
    return response


def _handle_http_exception(error: HTTPException) -> Response:
    # Keep the exception's own headers (Allow on 405, Retry-After on 503).
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    errors = error.errors if isinstance(error, ValidationError) else None
    return problem(error.code or 500, error.description or "", errors=errors, headers=headers)


def _handle_integrity_error(error: IntegrityError) -> Response:
    db.session.rollback()
    logger.info("integrity error: %s", error.orig)
    return problem(409, "The request conflicts with existing data.")


def _handle_database_unavailable(error: Exception) -> Response:
    db.session.rollback()
    logger.warning("database unavailable: %s", getattr(error, "orig", None) or error)
    return _handle_http_exception(
        ServiceUnavailable(
            "The database is unavailable; try again shortly.", retry_after=RETRY_AFTER_SECONDS
        )
    )


def _handle_unexpected(error: Exception) -> Response:
    db.session.rollback()
    logger.exception("unhandled error")
    return problem(500, "The server hit an unexpected error.")


def is_unavailable(error: DBAPIError) -> bool:
    """True when the error means the database could not be reached (not a bad query)."""
    return bool(error.connection_invalidated) or isinstance(error, OperationalError)


def _handle_dbapi_error(error: DBAPIError) -> Response:
    if is_unavailable(error):
        return _handle_database_unavailable(error)
    return _handle_unexpected(error)


def register_error_handlers(app: Flask) -> None:
    """Route every error to a problem-details response."""
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(IntegrityError, _handle_integrity_error)
    app.register_error_handler(DBAPIError, _handle_dbapi_error)
    # No credentials (Secrets Manager unreachable) or no free pooled connection.
    app.register_error_handler(SecretUnavailable, _handle_database_unavailable)
    app.register_error_handler(PoolTimeout, _handle_database_unavailable)
    app.register_error_handler(Exception, _handle_unexpected)
