"""The one place that builds error responses: RFC 9457 problem details."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from service.extensions import db

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5


class APIError(Exception):
    """An error with an HTTP status that views raise instead of building bodies."""

    status = 500

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


class ValidationError(APIError):
    """The request body or a field in it is invalid (400)."""

    status = 400

    def __init__(self, errors: list[dict[str, str]], detail: str | None = None) -> None:
        super().__init__(detail or "The request body is invalid.", errors=errors)


class BadRequest(APIError):
    """The request is malformed in a way that has no single field (400)."""

    status = 400


class Forbidden(APIError):
    """Authenticated, but not the owner (403)."""

    status = 403


class NotFound(APIError):
    """The resource does not exist (404)."""

    status = 404


class Conflict(APIError):
    """A unique value is already taken (409)."""

    status = 409


class PayloadTooLarge(APIError):
    """The upload is bigger than the limit (413)."""

    status = 413


class UnsupportedMediaType(APIError):
    """The body is not in a media type this route accepts (415)."""

    status = 415


class ServiceUnavailable(APIError):
    """A dependency (the database, the image store) cannot be reached (503)."""

    status = 503

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


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


def _handle_api_error(error: APIError) -> Response:
    return problem(error.status, error.detail, errors=error.errors, headers=error.headers)


def _handle_http_exception(error: HTTPException) -> Response:
    # Keep the exception's own headers (Allow on 405, WWW-Authenticate on 401).
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return problem(error.code or 500, error.description or "", headers=headers)


def _handle_integrity_error(error: IntegrityError) -> Response:
    db.session.rollback()
    logger.info("integrity error: %s", error.orig)
    return problem(409, "The request conflicts with existing data.")


def _handle_database_unavailable(error: DBAPIError) -> Response:
    db.session.rollback()
    logger.warning("database unavailable: %s", error.orig)
    return _handle_api_error(ServiceUnavailable("The database is unavailable; try again shortly."))


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
    app.register_error_handler(APIError, _handle_api_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(IntegrityError, _handle_integrity_error)
    app.register_error_handler(DBAPIError, _handle_dbapi_error)
    app.register_error_handler(Exception, _handle_unexpected)
