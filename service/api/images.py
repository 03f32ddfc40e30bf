"""/v1/product/<id>/image: upload, list, get and delete the images of the caller's product."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Blueprint, current_app, request, url_for
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import BadRequest, NotFound, RequestEntityTooLarge, ServiceUnavailable

from service.api.commits import commit_keeping_objects
from service.api.lookups import owned_product
from service.auth import basic_auth
from service.errors import RETRY_AFTER_SECONDS
from service.extensions import db
from service.models import Product, ProductImage
from service.observability import current_metrics
from service.schemas import ImageOut, dump
from service.storage import StorageError, current_store, delete_quietly
from service.uploads import NotAnImage, detect_image_type, sanitize_file_name

logger = logging.getLogger(__name__)

bp = Blueprint("images", __name__, url_prefix="/v1/product/<id:product_id>/image")


def _image_body(image: ProductImage) -> dict[str, Any]:
    store = current_store()
    return dump(
        ImageOut,
        {
            "image_id": image.id,
            "product_id": image.product_id,
            "file_name": image.file_name,
            "date_created": image.date_created,
            "s3_bucket_path": store.location(image.object_key),
            "download_url": store.download_url(image.object_key),
        },
    )


def _the_one_file() -> FileStorage:
    # Exactly one part, a file named "image": anything else is ambiguous.
    if request.mimetype != "multipart/form-data":
        raise BadRequest("Send the image as multipart/form-data in a field named 'image'.")
    fields = list(request.files.items(multi=True)) + list(request.form.items(multi=True))
    if len(fields) != 1 or fields[0][0] != "image" or not isinstance(fields[0][1], FileStorage):
        raise BadRequest("Send exactly one file, in a field named 'image'.")
    return fields[0][1]


def _read_limited(upload: FileStorage) -> bytes:
    limit = current_app.config["MAX_IMAGE_BYTES"]
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise RequestEntityTooLarge(f"Images are limited to {limit} bytes.")
    if not data:
        raise BadRequest("The file is empty.")
    return data


def _image_or_404(product: Product, image_id: int) -> ProductImage:
    image = db.session.get(ProductImage, image_id)
    if image is None or image.product_id != product.id:
        raise NotFound(f"Image {image_id} does not exist for product {product.id}.")
    return image


@bp.post("")
@basic_auth.login_required
def create_image(product_id: int) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Upload a JPEG or PNG: object first, then the row (or the object is removed again)."""
    product = owned_product(product_id)
    upload = _the_one_file()
    data = _read_limited(upload)
    try:
        content_type, extension = detect_image_type(data)
    except NotAnImage as error:
        raise BadRequest(f"The file is not a JPEG or PNG image: {error}.") from None
    key = f"{product.owner_user_id}/{product.id}/{uuid.uuid4().hex}.{extension}"
    try:
        current_store().put(key, data, content_type)
    except StorageError:
        logger.exception("image upload failed", extra={"object_key": key})
        raise ServiceUnavailable(
            "The image store is unavailable; try again shortly.", retry_after=RETRY_AFTER_SECONDS
        ) from None
    image = ProductImage(
        product_id=product.id,
        file_name=sanitize_file_name(upload.filename, extension),
        object_key=key,
        content_type=content_type,
        size_bytes=len(data),
    )
    try:
        db.session.add(image)
        db.session.flush()  # the INSERT: if it fails, no row can point at the object
    except Exception:
        db.session.rollback()
        delete_quietly(key)  # no row points at it: remove it so nothing is orphaned
        raise
    commit_keeping_objects([key])  # a lost COMMIT reply may hide a committed row
    current_metrics().add("ImageBytesUploaded", "Bytes", len(data))
    location = url_for(".get_image", product_id=product.id, image_id=image.id)
    return _image_body(image), 201, {"Location": location}


@bp.get("")
@basic_auth.login_required
def list_images(product_id: int) -> list[dict[str, Any]]:
    """All images of the caller's product, oldest first."""
    return [_image_body(image) for image in owned_product(product_id).images]


@bp.get("/<id:image_id>")
@basic_auth.login_required
def get_image(product_id: int, image_id: int) -> dict[str, Any]:
    """One image of the caller's product."""
    return _image_body(_image_or_404(owned_product(product_id), image_id))


@bp.delete("/<id:image_id>")
@basic_auth.login_required
def delete_image(product_id: int, image_id: int) -> tuple[str, int]:
    """Delete the row (committed), then the object; a leftover object is logged."""
    image = _image_or_404(owned_product(product_id), image_id)
    key = image.object_key
    db.session.delete(image)
    db.session.flush()
    commit_keeping_objects([key])  # the row may be gone even if the COMMIT "failed"
    delete_quietly(key)
    return "", 204
