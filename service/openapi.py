"""The OpenAPI 3.1 document, built from the same pydantic models that validate requests."""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from service import schemas
from service.config import MAX_IMAGE_BYTES

REF = "#/components/schemas/{model}"
JSON = "application/json"
PROBLEM = "application/problem+json"
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}}}

_MODELS: tuple[type[BaseModel], ...] = (
    schemas.UserCreate,
    schemas.UserUpdate,
    schemas.ProductWrite,
    schemas.ProductPatch,
    schemas.UserOut,
    schemas.ProductOut,
    schemas.ImageOut,
    schemas.Problem,
    schemas.Health,
)

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


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _problems(*statuses: int) -> dict[str, Any]:
    # Every operation can meet 405, 500 and 503; the rest are listed per operation.
    return {
        str(status): {
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM: {"schema": _ref(schemas.Problem)}},
            **({"headers": RETRY_AFTER} if status == 503 else {}),
        }
        for status in sorted({*statuses, 405, 500, 503})
    }


def _ok(status: int, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    if schema is None:
        return {str(status): {"description": description}}
    return {str(status): {"description": description, "content": {JSON: {"schema": schema}}}}


def _json_body(model: type[BaseModel]) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": _ref(model)}}}


def _id(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999_999},
    }


def _op(summary: str, responses: dict[str, Any], *, auth: bool, **extra: Any) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, **extra, "responses": responses}
    operation["security"] = [{"basicAuth": []}] if auth else []
    return operation


def _paths() -> dict[str, Any]:
    user, product, image = _ref(schemas.UserOut), _ref(schemas.ProductOut), _ref(schemas.ImageOut)
    product_id, image_id, user_id = _id("productId"), _id("imageId"), _id("userId")
    upload = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["image"],
                    "additionalProperties": False,
                    "properties": {"image": {"type": "string", "format": "binary", "minLength": 1}},
                },
                "encoding": {"image": {"contentType": "image/png, image/jpeg"}},
            }
        },
    }
    return {
        "/healthz": {
            "get": _op(
                "Health check: 200 when the database answers",
                {**_ok(200, "Healthy", _ref(schemas.Health)), **_problems()},
                auth=False,
                operationId="getHealth",
            )
        },
        "/v1/user": {
            "post": _op(
                "Create a user (read-only fields in the body are ignored)",
                {**_ok(201, "Created", user), **_problems(400, 409, 415)},
                auth=False,
                operationId="createUser",
                requestBody=_json_body(schemas.UserCreate),
            )
        },
        "/v1/user/{userId}": {
            "parameters": [user_id],
            "get": _op(
                "Get your own account",
                {**_ok(200, "The user", user), **_problems(401, 403, 404)},
                auth=True,
                operationId="getUser",
            ),
            "put": _op(
                "Update your own account (password, first and last name)",
                {**_ok(204, "Updated"), **_problems(400, 401, 403, 404, 415)},
                auth=True,
                operationId="updateUser",
                requestBody=_json_body(schemas.UserUpdate),
            ),
        },
        "/v1/product": {
            "post": _op(
                "Create a product owned by the caller",
                {**_ok(201, "Created", product), **_problems(400, 401, 409, 415)},
                auth=True,
                operationId="createProduct",
                requestBody=_json_body(schemas.ProductWrite),
            )
        },
        "/v1/product/{productId}": {
            "parameters": [product_id],
            "get": _op(
                "Get a product",
                {**_ok(200, "The product", product), **_problems(404)},
                auth=False,
                operationId="getProduct",
            ),
            "put": _op(
                "Replace all five writable fields of your product",
                {**_ok(204, "Updated"), **_problems(400, 401, 403, 404, 409, 415)},
                auth=True,
                operationId="updateProduct",
                requestBody=_json_body(schemas.ProductWrite),
            ),
            "patch": _op(
                "Change some writable fields of your product",
                {**_ok(204, "Updated"), **_problems(400, 401, 403, 404, 409, 415)},
                auth=True,
                operationId="patchProduct",
                requestBody=_json_body(schemas.ProductPatch),
            ),
            "delete": _op(
                "Delete your product and its images",
                {**_ok(204, "Deleted"), **_problems(401, 403, 404)},
                auth=True,
                operationId="deleteProduct",
            ),
        },
        "/v1/product/{productId}/image": {
            "parameters": [product_id],
            "post": _op(
                "Upload a JPEG or PNG image (multipart field `image`)",
                {**_ok(201, "Created", image), **_problems(400, 401, 403, 404, 413)},
                auth=True,
                operationId="createImage",
                requestBody=upload,
            ),
            "get": _op(
                "List the images of your product",
                {
                    **_ok(200, "The images", {"type": "array", "items": image}),
                    **_problems(401, 403, 404),
                },
                auth=True,
                operationId="listImages",
            ),
        },
        "/v1/product/{productId}/image/{imageId}": {
            "parameters": [product_id, image_id],
            "get": _op(
                "Get one image of your product",
                {**_ok(200, "The image", image), **_problems(401, 403, 404)},
                auth=True,
                operationId="getImage",
            ),
            "delete": _op(
                "Delete one image of your product",
                {**_ok(204, "Deleted"), **_problems(401, 403, 404)},
                auth=True,
                operationId="deleteImage",
            ),
        },
    }


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The whole document; built once per process on first request."""
    _, defs = models_json_schema(
        [
            (model, "serialization" if model.__name__.endswith("Out") else "validation")
            for model in _MODELS
        ],
        ref_template=REF,
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Inventory API",
            "version": "1.0.0",
            "description": "Users, their products and product images. Errors are RFC 9457 "
            "problem details. Authentication is HTTP Basic with the user's e-mail.",
        },
        "servers": [{"url": ".."}],  # relative to /v1/openapi.json, so stage prefixes work
        "paths": _paths(),
        "components": {
            "schemas": defs["$defs"],
            "securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic"}},
        },
    }
