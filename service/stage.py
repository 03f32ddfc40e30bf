"""Makes URLs the app builds include API Gateway's stage (or base path) prefix."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class StagePrefixMiddleware:
    """Set ``SCRIPT_NAME`` to the prefix API Gateway strips from the path.

    A REST API event's ``path`` lacks the ``/<stage>`` that the client used,
    while ``requestContext.path`` has it; without this, ``Location`` headers
    and local download URLs would drop the stage (apig-wsgi #194, Zappa #512).
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        context = environ.get("apig_wsgi.request_context") or {}
        public_path, path = context.get("path"), environ.get("PATH_INFO", "")
        if isinstance(public_path, str) and path and public_path.endswith(path):
            environ["SCRIPT_NAME"] = public_path[: len(public_path) - len(path)]
        return self.app(environ, start_response)  # type: ignore[no-any-return]
