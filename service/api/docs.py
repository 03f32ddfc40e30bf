"""The OpenAPI document and a Swagger UI page for it that works offline.

Swagger UI's files are served from the aws-lambda-powertools distribution (a runtime
dependency, already in the Lambda zip), not from a CDN: the page needs no internet.
Every URL in the page is relative, so behind API Gateway's ``/<stage>`` prefix the page
at ``/<stage>/docs`` loads ``/<stage>/docs/...`` and ``/<stage>/v1/openapi.json``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.util
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, request, send_file
from werkzeug.exceptions import NotFound

bp = Blueprint("docs", __name__)

# Swagger UI's files inside aws-lambda-powertools, and their media types (RFC 9239).
SWAGGER_UI_IN_POWERTOOLS = ("event_handler", "openapi", "swagger_ui")
ASSETS = {
    "swagger-ui-bundle.min.js": "text/javascript",
    "swagger-ui.min.css": "text/css",
}
ONE_YEAR = 365 * 24 * 3600

# Until Swagger UI replaces it, #swagger-ui shows the link: without JavaScript, or if
# the script cannot load, the reader still gets the document.
DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Inventory API</title>
  <link rel="stylesheet" href="docs/swagger-ui.min.css?v={css_version}"
        integrity="{css_integrity}">
</head>
<body>
  <div id="swagger-ui">
    <p>The interactive documentation needs JavaScript. The OpenAPI document is at
      <a href="v1/openapi.json">v1/openapi.json</a>.</p>
  </div>
  <script src="docs/swagger-ui-bundle.min.js?v={js_version}" integrity="{js_integrity}"></script>
  <script>
    window.ui = SwaggerUIBundle({{url: "v1/openapi.json", dom_id: "#swagger-ui"}});
  </script>
</body>
</html>
"""


@functools.cache
def _asset_path(name: str) -> Path:
    # find_spec locates the package without importing it (importing costs ~20 ms).
    spec = importlib.util.find_spec("aws_lambda_powertools")
    if spec is None or spec.origin is None:
        raise RuntimeError("aws-lambda-powertools is not installed")
    return Path(spec.origin).parent.joinpath(*SWAGGER_UI_IN_POWERTOOLS, name)


@functools.cache
def _sha384(name: str) -> bytes:
    return hashlib.sha384(_asset_path(name).read_bytes()).digest()


def _integrity(name: str) -> str:
    """The subresource-integrity value of an asset: the page pins the exact bytes."""
    return "sha384-" + base64.b64encode(_sha384(name)).decode()


def _version(name: str) -> str:
    """A version for the asset's URL, so that it can be cached for good."""
    return _sha384(name).hex()[:16]


@bp.get("/v1/openapi.json")
def get_openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
    # Imported here, not at module level: no other request needs the document builder
    # (measured: ~5 ms of the handler's cold import; pydantic.json_schema itself is
    # imported by service.schemas anyway).
    from service.openapi import openapi_document

    return openapi_document(current_app)


@bp.get("/docs")
def get_docs() -> Response:
    """A Swagger UI page that loads the document relative to itself."""
    page = DOCS_PAGE.format(
        css_version=_version("swagger-ui.min.css"),
        css_integrity=_integrity("swagger-ui.min.css"),
        js_version=_version("swagger-ui-bundle.min.js"),
        js_integrity=_integrity("swagger-ui-bundle.min.js"),
    )
    # Revalidated on every visit, so a new release's asset versions are picked up.
    return Response(page, mimetype="text/html", headers={"Cache-Control": "no-cache"})


@bp.get("/docs/<name>")
def get_asset(name: str) -> Response:
    """One of Swagger UI's files; cached for a year when asked for by its current version."""
    if name not in ASSETS:
        raise NotFound(f"There is no documentation file named {name!r}.")
    versioned = request.args.get("v") == _version(name)
    # Unversioned (or stale) URLs are revalidated (ETag, 304); versioned ones never change.
    response = send_file(
        _asset_path(name), mimetype=ASSETS[name], max_age=ONE_YEAR if versioned else None
    )
    if versioned:
        response.cache_control.immutable = True
    return response
