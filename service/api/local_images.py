"""Serves image bytes for the local image store through signed, expiring URLs.

Registered only when images are stored locally; on AWS, downloads are
presigned S3 URLs and this blueprint does not exist.
"""

from __future__ import annotations

from flask import Blueprint, send_file
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from service.storage import LocalImageStore, current_store

bp = Blueprint("local_images", __name__, url_prefix="/local-images")


@bp.get("/<token>")
def download_image(token: str) -> Response:
    """The image a valid, unexpired token names."""
    store = current_store()
    if not isinstance(store, LocalImageStore):
        raise NotFound("Images are not stored locally.")
    key = store.key_for_token(token)
    if key is None or not (path := store.path(key)).is_file():
        raise NotFound("This download link is invalid or has expired.")
    mimetype = "image/png" if path.suffix == ".png" else "image/jpeg"
    return send_file(path, mimetype=mimetype, max_age=0)
