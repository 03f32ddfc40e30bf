"""Headers every response gets right: no Content-Type without a body, nosniff everywhere."""

from __future__ import annotations

from flask import Flask, Response

# Statuses that never carry a body (RFC 9110 sections 15.3.5 and 15.4.5).
BODYLESS = frozenset({204, 304})


def _tidy(response: Response) -> Response:
    if response.status_code in BODYLESS:
        # Flask gives `return "", 204` its default "text/html" type.
        response.headers.pop("Content-Type", None)
    # Browsers must take the declared type (JSON, problem+json, image/png, image/jpeg)
    # at its word; image downloads served by the local store rely on this.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def init_app(app: Flask) -> None:
    """Register the response fix-ups."""
    app.after_request(_tidy)
