"""The OpenAPI 3.1 document, generated from the routes (``app.url_map``), the views'
``@operation`` / ``@accepts`` declarations and the pydantic models that validate requests.

Imported only when the document is asked for (it is not on the cold-start path).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from service.api import blueprints, local_store_blueprints
from service.api.operation import Operation, camel_case, declared_operation
from service.config import MAX_IMAGE_BYTES
from service.routing import CONVERTERS
from service.schemas import Problem

REF = "#/components/schemas/{model}"
JSON = "application/json"
PROBLEM = "application/problem+json"
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}}}
# Not part of the API contract: the docs page and the document itself, and the
# signed download links of the local image store (they are URLs the API hands out).
UNDOCUMENTED_BLUEPRINTS = frozenset({"docs", "local_images"})
ALWAYS_POSSIBLE = (405, 500, 503)  # every operation can meet these

_DESCRIPTIONS = {
    400: "Invalid request: malformed JSON, unknown or read-only fields, or invalid values "
    "(`errors` names each bad field).",
    401: "Missing, malformed or wrong HTTP Basic credentials.",
    403: "Authenticated, but not the owner.",
    404: "No such resource (also for ids that are not positive integers).",
    405: "Method not allowed on this path (see the `Allow` header).",
    409: "A unique value (username or SKU) is already taken.",
    413: f"The image is larger than {MAX_IMAGE_BYTES} bytes.",
    415: "The body is not `application/json`.",
    500: "Unexpected server error (details are only in the logs).",
    503: "The database or image store is unavailable; retry after `Retry-After` seconds.",
}
# <converter:name> or <converter(args):name> or <name> in a werkzeug rule
_RULE_PART = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _path_and_parameters(app: Flask, rule: str) -> tuple[str, list[dict[str, Any]]]:
    parameters = []
    for match in _RULE_PART.finditer(rule):
        converter = app.url_map.converters[match["converter"] or "default"]
        parameters.append(
            {
                "name": camel_case(match["name"]),
                "in": "path",
                "required": True,
                "schema": getattr(converter, "json_schema", {"type": "string"}),
            }
        )
    path = _RULE_PART.sub(lambda m: "{" + camel_case(m["name"]) + "}", rule)
    return path, parameters


def _problems(statuses: set[int]) -> dict[str, Any]:
    return {
        str(status): {
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM: {"schema": _ref(Problem)}},
            **({"headers": RETRY_AFTER} if status == 503 else {}),
        }
        for status in sorted(statuses | set(ALWAYS_POSSIBLE))
    }


def _success(op: Operation) -> dict[str, Any]:
    response: dict[str, Any] = {"description": op.description}
    model = op.response_model
    if model is not None:
        schema = {"type": "array", "items": _ref(model)} if op.many else _ref(model)
        response["content"] = {JSON: {"schema": schema}}
    return {str(op.status): response}


def _operation(op: Operation, has_ids: bool) -> dict[str, Any]:
    statuses = set(op.errors)
    statuses |= {401} if op.auth else set()
    statuses |= {404} if has_ids else set()  # the path's ids; junk ids do not match (404)
    document: dict[str, Any] = {"summary": op.summary, "operationId": op.operation_id}
    if op.body is not None:
        statuses |= set(op.body.problems)
        schema = op.body.schema
        content: dict[str, Any] = {"schema": schema if isinstance(schema, dict) else _ref(schema)}
        if op.body.encoding:
            content["encoding"] = op.body.encoding
        document["requestBody"] = {"required": True, "content": {op.body.media_type: content}}
    document["responses"] = {**_success(op), **_problems(statuses)}
    document["security"] = [{"basicAuth": []}] if op.auth else []
    return document


def _paths(app: Flask) -> tuple[dict[str, Any], list[Operation]]:
    paths: dict[str, Any] = {}
    operations = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.partition(".")[0] in UNDOCUMENTED_BLUEPRINTS:
            continue
        op = declared_operation(app.view_functions[rule.endpoint])
        if op is None:
            raise LookupError(f"{rule.endpoint} ({rule.rule}) has no @operation declaration")
        path, parameters = _path_and_parameters(app, rule.rule)
        item = paths.setdefault(path, {"parameters": parameters} if parameters else {})
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            item[method.lower()] = _operation(op, bool(parameters))
        operations.append(op)
    return paths, operations


def _component_schemas(operations: list[Operation]) -> dict[str, Any]:
    models: dict[type[BaseModel], str] = {Problem: "serialization"}
    for op in operations:
        if op.response_model is not None:
            models[op.response_model] = "serialization"
        if op.body is not None and not isinstance(op.body.schema, dict):
            models[op.body.schema] = "validation"
    _, defs = models_json_schema(list(models.items()), ref_template=REF)  # type: ignore[arg-type]
    schemas: dict[str, Any] = defs["$defs"]
    return schemas


@functools.cache
def _routes_app() -> Flask:
    # The API's routes and nothing else (no database, no settings): enough for url_map.
    app = Flask("service", static_folder=None)
    app.url_map.converters.update(CONVERTERS)
    for blueprint in blueprints + local_store_blueprints:
        app.register_blueprint(blueprint)
    return app


def openapi_document(app: Flask | None = None) -> dict[str, Any]:
    """The whole document for ``app``'s routes (by default the API's); built once per app."""
    app = app or _routes_app()
    cached: dict[str, Any] | None = app.extensions.get("openapi_document")
    if cached is not None:
        return cached
    paths, operations = _paths(app)
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Inventory API",
            "version": "1.0.0",
            "description": "Users, their products and product images. Errors are RFC 9457 "
            "problem details. Authentication is HTTP Basic with the user's e-mail.",
        },
        "servers": [{"url": ".."}],  # relative to /v1/openapi.json, so stage prefixes work
        "paths": paths,
        "components": {
            "schemas": _component_schemas(operations),
            "securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic"}},
        },
    }
    app.extensions["openapi_document"] = document
    return document
