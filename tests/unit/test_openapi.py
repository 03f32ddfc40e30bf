"""service.openapi: the document is generated from the routes and the views' declarations."""

from __future__ import annotations

import re

import pytest
from flask import Blueprint

from service import create_app
from service.api.bodies import JsonBody
from service.api.operation import accepts, loads, operation
from service.openapi import openapi_document
from service.schemas import ProductWrite


def test_sku_trimming_and_upper_casing_are_documented():
    # A newcomer trap (issue 13): " ab-1 " is stored as "AB-1" and conflicts with "AB-1".
    schemas = openapi_document()["components"]["schemas"]
    for model in ("ProductWrite", "ProductPatch"):
        description = schemas[model]["properties"]["sku"]["description"]
        assert "whitespace is removed" in description and "upper-cased" in description
        assert "`AB-1`" in description and "409" in description


@pytest.fixture(params=["local", "s3"])
def served_app(request, tmp_path):
    """The real app, with the local image store (its download route) and with S3."""
    config = {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    if request.param == "s3":
        config["IMAGES_BUCKET"] = "a-bucket"
    else:
        config["IMAGES_DIR"] = str(tmp_path / "images")
    return create_app(config)


def _openapi_path(rule: str) -> str:
    # <id:product_id> -> {productId}
    def camel(match: re.Match[str]) -> str:
        first, *rest = match[1].split("_")
        return "{" + first + "".join(word.capitalize() for word in rest) + "}"

    return re.sub(r"<(?:\w+:)?(\w+)>", camel, rule)


def test_every_route_has_an_operation_and_every_operation_a_route(served_app):
    documented = {
        (method.upper(), path)
        for path, item in openapi_document(served_app)["paths"].items()
        for method in item
        if method != "parameters"
    }
    served, undocumented = set(), set()
    for rule in served_app.url_map.iter_rules():
        if rule.endpoint.startswith(("docs.", "local_images.")):
            undocumented.add(rule.endpoint)
            continue
        served |= {(m, _openapi_path(rule.rule)) for m in rule.methods - {"HEAD", "OPTIONS"}}

    assert documented == served
    # Only the docs page, its document and assets, and local image downloads are left out.
    assert undocumented <= {
        "docs.get_docs",
        "docs.get_openapi",
        "docs.get_asset",
        "local_images.download_image",
    }


def test_served_document_is_the_default_document(served_app):
    assert openapi_document(served_app) == openapi_document()


def test_a_route_without_a_declaration_stops_the_document(served_app):
    bp = Blueprint("extra", __name__)

    @bp.get("/v1/extra")
    def get_extra():
        return {}

    served_app.register_blueprint(bp)
    with pytest.raises(LookupError, match=r"extra.get_extra \(/v1/extra\) has no @operation"):
        openapi_document(served_app)


def test_operation_id_and_summary_come_from_the_view():
    bp = Blueprint("things", __name__)

    @bp.get("/v1/thing")
    @operation(200, "The thing")
    def get_shiny_thing():
        """Get the shiny thing.

        Longer notes are not part of the summary.
        """

    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "IMAGES_BUCKET": "b"})
    app.register_blueprint(bp)
    get = openapi_document(app)["paths"]["/v1/thing"]["get"]
    assert (get["operationId"], get["summary"]) == ("getShinyThing", "Get the shiny thing")


def _loader(product_id):
    return product_id


def _view(*args, **kwargs):
    """Do nothing."""


def test_decorators_in_the_wrong_order_are_refused():
    # The order of the decorators is the order of the checks (401, 404/403, 400).
    body = JsonBody(ProductWrite)
    with pytest.raises(TypeError, match="@accepts goes below @loads"):
        accepts(body)(loads(_loader)(_view))
    with pytest.raises(TypeError, match="@loads goes below @operation"):
        loads(_loader)(operation(204, "Updated")(_view))
    with pytest.raises(TypeError, match="@accepts goes below @operation"):
        accepts(body)(operation(204, "Updated")(_view))


def test_an_operation_needs_a_summary():
    def get_thing():
        pass

    with pytest.raises(TypeError, match="get_thing: its docstring's first line is the summary"):
        operation(200, "The thing")(get_thing)
