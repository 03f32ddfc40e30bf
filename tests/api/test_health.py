"""/healthz and the API documents."""

from __future__ import annotations

from service.extensions import db


def test_health_is_200_with_no_cache(api):
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-cache"


def test_head_health_answers_like_get(api):
    response = api.head("/healthz")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Cache-Control"] == "no-cache"


def test_health_is_503_when_the_database_fails(api, app, monkeypatch):
    with app.app_context():
        dbapi = db.engine.dialect.loaded_dbapi

        def fail(*args, **kwargs):
            raise dbapi.OperationalError(2003, "Can't connect to MySQL server")

        # Every way to the database (a session, a Core connection, a direct read) checks
        # a DB-API connection out of the engine: the driver cannot connect.
        monkeypatch.setattr(db.engine, "raw_connection", fail)
        response = api.get("/healthz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 503


def test_openapi_document_lists_every_route(api, app):
    response = api.get("/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document["openapi"].startswith("3.")
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("docs.", "local_images.")):
            continue
        path = (
            rule.rule.replace("<id:user_id>", "{userId}")
            .replace("<id:product_id>", "{productId}")
            .replace("<id:image_id>", "{imageId}")
        )
        served |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == served


def test_openapi_schemas_come_from_the_validating_models(api):
    schemas = api.get("/v1/openapi.json").json["components"]["schemas"]
    quantity = schemas["ProductWrite"]["properties"]["quantity"]
    assert quantity == {"type": "integer", "minimum": 0, "maximum": 100, "title": "Quantity"}
    assert schemas["ProductWrite"]["additionalProperties"] is False
    assert set(schemas["UserOut"]["required"]) == {
        "id",
        "first_name",
        "last_name",
        "username",
        "account_created",
        "account_updated",
    }


def test_docs_page_loads_the_document_by_a_relative_url(api):
    response = api.get("/docs")
    assert response.status_code == 200
    assert response.content_type.startswith("text/html")
    assert 'url: "v1/openapi.json"' in response.text
    assert 'integrity="sha384-' in response.text
