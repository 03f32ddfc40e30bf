"""/v1/product/<id>/image: upload, list, get and delete the images of the caller's product."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Blueprint, url_for
from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import BadRequest, NotFound, ServiceUnavailable

from service.api.bodies import ImageUpload, Upload
from service.api.commits import commit_keeping_objects, retry_on_deadlock
from service.api.lookups import owned_image, owned_product, owned_product_images
from service.api.operation import accepts, loads, operation
from service.errors import RETRY_AFTER_SECONDS
from service.extensions import db
from service.models import Product, ProductImage
from service.observability import current_metrics
from service.storage import StorageError, current_store, delete_quietly
from service.uploads import NotAnImage, detect_image_type, sanitize_file_name

logger = logging.getLogger(__name__)

bp = Blueprint("images", __name__, url_prefix="/v1/product/<id:product_id>/image")


def _image_body(image: ProductImage | Row[Any]) -> dict[str, Any]:
    store = current_store()
    return {
        "image_id": image.id,
        "product_id": image.product_id,
        "file_name": image.file_name,
        "date_created": image.date_created,
        "s3_bucket_path": store.location(image.object_key),
        "download_url": store.download_url(image.object_key),
    }


@bp.post("")
@operation(201, "Created", "ImageOut", auth=True, errors=(403,))
@loads(owned_product)
@accepts(ImageUpload())
def create_image(product: Product, body: Upload) -> tuple[dict[str, Any], dict[str, str]]:
    """Upload a JPEG or PNG image (multipart field `image`)."""
    # The object first, then the row (or the object is removed again).
    try:
        content_type, extension = detect_image_type(body.data)
    except NotAnImage as error:
        raise BadRequest(f"The file is not a JPEG or PNG image: {error}.") from None
    # Plain values: after the COMMIT the product may already be deleted by another request.
    product_id, owner_id = product.id, product.owner_user_id
    key = f"{owner_id}/{product_id}/{uuid.uuid4().hex}.{extension}"
    try:
        current_store().put(key, body.data, content_type)
    except StorageError:
        logger.exception("image upload failed", extra={"object_key": key})
        raise ServiceUnavailable(
            "The image store is unavailable; try again shortly.", retry_after=RETRY_AFTER_SECONDS
        ) from None
    file_name = sanitize_file_name(body.file_name, extension)

    def insert_row() -> dict[str, Any]:
        image = ProductImage(
            product_id=product_id,
            file_name=file_name,
            object_key=key,
            content_type=content_type,
            size_bytes=len(body.data),
        )
        db.session.add(image)
        db.session.flush()  # the INSERT: if it fails, no row can point at the object
        return _image_body(image)

    try:
        image_body = retry_on_deadlock(insert_row)
    except Exception as error:
        db.session.rollback()
        delete_quietly(key)  # no row points at it: remove it so nothing is orphaned
        if isinstance(error, IntegrityError) and db.session.get(Product, product_id) is None:
            # The product was deleted while the object was being written.
            raise NotFound(f"Product {product_id} does not exist.") from None
        raise
    commit_keeping_objects([key])  # a lost COMMIT reply may hide a committed row
    current_metrics().add("ImageBytesUploaded", "Bytes", len(body.data))
    location = url_for(".get_image", product_id=product_id, image_id=image_body["image_id"])
    return image_body, {"Location": location}


@bp.get("")
@operation(200, "The images", "ImageOut", many=True, auth=True, errors=(403,))
@loads(owned_product_images)
def list_images(images: list[Row[Any]]) -> list[dict[str, Any]]:
    """List the images of your product."""
    return [_image_body(image) for image in images]  # oldest first


@bp.get("/<id:image_id>")
@operation(200, "The image", "ImageOut", auth=True, errors=(403,))
@loads(owned_image)
def get_image(image: ProductImage) -> dict[str, Any]:
    """Get one image of your product."""
    return _image_body(image)


@bp.delete("/<id:image_id>")
@operation(204, "Deleted", auth=True, errors=(403,))
@loads(owned_image)
def delete_image(image: ProductImage) -> None:
    """Delete one image of your product."""
    # The row (committed), then the object; a leftover object is logged.
    key = image.object_key
    db.session.delete(image)
    db.session.flush()
    commit_keeping_objects([key])  # the row may be gone even if the COMMIT "failed"
    delete_quietly(key)
