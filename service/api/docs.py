"""The OpenAPI document and a Swagger UI page for it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app

bp = Blueprint("docs", __name__)

SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0"
# Subresource integrity of swagger-ui-dist 5.35.0 (sha384 of the npm package's files).
SWAGGER_JS_SRI = "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9"
SWAGGER_CSS_SRI = "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I"

# The document is loaded by a relative URL: behind API Gateway's /<stage>
# prefix the page lives at /<stage>/docs and must fetch /<stage>/v1/openapi.json.
DOCS_PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Inventory API</title>
  <link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css"
        integrity="{SWAGGER_CSS_SRI}" crossorigin="anonymous">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{SWAGGER_UI}/swagger-ui-bundle.js"
          integrity="{SWAGGER_JS_SRI}" crossorigin="anonymous"></script>
  <script>
    window.ui = SwaggerUIBundle({{url: "v1/openapi.json", dom_id: "#swagger-ui"}});
  </script>
</body>
</html>
"""


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
    return Response(DOCS_PAGE, mimetype="text/html")
