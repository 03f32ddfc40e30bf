"""Serves image bytes for the local image store through signed, expiring URLs.

Registered only when images are stored locally; on AWS, downloads are
presigned S3 URLs and this blueprint does not exist.
"""

from __future__ import annotations

from flask import Blueprint, send_file
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from service.storage import (
    LOCAL_DOWNLOAD_PREFIX,
    LocalImageStore,
    content_disposition,
    content_type,
    current_store,
)

bp = Blueprint("local_images", __name__, url_prefix=LOCAL_DOWNLOAD_PREFIX)

# Were a browser to render the file after all, it would run nothing and load nothing.
SANDBOX = "default-src 'none'; sandbox"


@bp.get("/<token>")
def download_image(token: str) -> Response:
    """The image a valid, unexpired token names, as an attachment (nosniff: every response)."""
    store = current_store()
    if not isinstance(store, LocalImageStore):
        raise NotFound("Images are not stored locally.")
    key = store.key_for_token(token)
    if key is None or not (path := store.path(key)).is_file():
        raise NotFound("This download link is invalid or has expired.")
    response = send_file(path, mimetype=content_type(key), max_age=0)
    response.headers["Content-Disposition"] = content_disposition(key)
    response.headers["Content-Security-Policy"] = SANDBOX
    return response
