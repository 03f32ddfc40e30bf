"""service.errors: every exception a view can meet becomes one RFC 9457 problem body."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import Conflict, NotFound, RequestEntityTooLarge, ServiceUnavailable

from service.errors import RETRY_AFTER_SECONDS, ValidationError, register_error_handlers
from service.extensions import db
from service.secrets import SecretUnavailable


def _app_raising(error: Exception) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db.init_app(app)
    register_error_handlers(app)

    @app.get("/boom")
    def boom():
        raise error

    return app


def _problem(error: Exception):
    response = _app_raising(error).test_client().get("/boom")
    assert response.content_type == "application/problem+json"
    return response


@pytest.mark.parametrize(
    ("error", "status", "title", "detail"),
    [
        (NotFound("Product 7 does not exist."), 404, "Not Found", "Product 7 does not exist."),
        (Conflict("SKU X is taken."), 409, "Conflict", "SKU X is taken."),
        (RequestEntityTooLarge("Too big."), 413, "Request Entity Too Large", "Too big."),
        (
            RuntimeError("secret detail"),
            500,
            "Internal Server Error",
            "The server hit an unexpected error.",
        ),
        (
            IntegrityError("INSERT", {}, Exception("Duplicate entry 'a@b.c'")),
            409,
            "Conflict",
            "The request conflicts with existing data.",
        ),
    ],
)
def test_exception_becomes_problem_details(error, status, title, detail):
    response = _problem(error)
    assert response.status_code == status
    assert response.json == {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }


def test_validation_error_lists_each_field():
    errors = [{"field": "quantity", "message": "Must be an integer."}]
    response = _problem(ValidationError(errors))
    assert response.status_code == 400
    assert response.json == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "The request body is invalid.",
        "errors": errors,
    }


@pytest.mark.parametrize(
    "error",
    [
        ServiceUnavailable("The image store is unavailable.", retry_after=RETRY_AFTER_SECONDS),
        OperationalError("SELECT 1", {}, Exception("Can't connect to MySQL server")),
        SecretUnavailable("no credentials"),
    ],
    ids=["raised", "database-unreachable", "secret-unavailable"],
)
def test_unavailable_is_503_with_retry_after(error):
    response = _problem(error)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json["title"] == "Service Unavailable"


def test_http_exception_keeps_its_headers_but_not_its_html_type():
    app = _app_raising(NotFound())
    response = app.test_client().post("/boom")  # the route only allows GET
    assert response.status_code == 405
    assert response.headers["Allow"]
    assert response.content_type == "application/problem+json"
