"""Makes URLs the app builds include API Gateway's stage (or base path) prefix."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote


def _rest_prefix(event: dict[str, Any]) -> str | None:
    """REST API (v1): ``requestContext.path`` is ``path`` with the stage or base path in front.

    Both are the path as the client sent it, still percent-encoded: compare them
    as they are (like with like), then decode the prefix as apig-wsgi decodes
    ``path`` into PATH_INFO.
    """
    public_path = (event.get("requestContext") or {}).get("path")
    path = event.get("path")
    if not (isinstance(public_path, str) and isinstance(path, str) and path):
        return None
    if not public_path.endswith(path):
        return None
    return unquote(public_path[: len(public_path) - len(path)], encoding="iso-8859-1")


def _http_api_stage(event: dict[str, Any], path_info: str) -> str | None:
    """HTTP API (v2): on the execute-api URL of a named stage, rawPath starts with it.

    ``rawPath`` is the whole path (there is no stage-less copy as in v1), so
    "/prod/v1/product" must route as "/v1/product". Behind a custom domain the
    stage is not in the path, and neither is the API mapping key (AWS: "rawPath
    won't provide the API mapping value"), so nothing is stripped there.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    """
    context = event.get("requestContext") or {}
    stage, domain, api_id = context.get("stage"), context.get("domainName"), context.get("apiId")
    if not isinstance(stage, str) or not stage or stage == "$default":
        return None
    if not (isinstance(domain, str) and domain.startswith(f"{api_id}.execute-api.")):
        return None
    prefix = f"/{stage}"
    if path_info == prefix or path_info.startswith(prefix + "/"):
        return prefix
    return None


class StagePrefixMiddleware:
    """Set ``SCRIPT_NAME`` to the prefix API Gateway adds in front of the app's routes.

    Without it, ``Location`` headers and local download URLs would drop the stage
    (apig-wsgi #194, Zappa #512), and HTTP API events of a named stage would not
    match any route.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        event = environ.get("apig_wsgi.full_event")
        if isinstance(event, dict):
            if event.get("version") == "2.0":
                path_info = environ.get("PATH_INFO", "")
                stage = _http_api_stage(event, path_info)
                if stage is not None:
                    environ["SCRIPT_NAME"] = stage
                    environ["PATH_INFO"] = path_info[len(stage) :]
            elif (prefix := _rest_prefix(event)) is not None:
                environ["SCRIPT_NAME"] = prefix
        return self.app(environ, start_response)  # type: ignore[no-any-return]
