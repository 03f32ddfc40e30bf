"""Loading resources by the ids in the URL, with the API's existence and ownership rules.

Each function is a loader for ``@loads`` (service/api/operation.py): it takes the
URL's ids as keywords and returns the resource, or raises 404 or 403.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, select
from werkzeug.exceptions import Forbidden, NotFound

from service.auth import current_user
from service.connections import read_rows
from service.extensions import db
from service.models import Product, ProductImage


def own_account(user_id: int) -> Row[Any]:
    """The caller's own account (its row); any other id is 403, existing or not."""
    user = current_user()
    if user.id != user_id:
        raise Forbidden("You can only access your own account.")
    return user


_PRODUCT_ROW = select(*Product.__table__.c).where(Product.__table__.c.id == bindparam("product_id"))


def product_row_or_404(product_id: int) -> Row[Any]:
    """The product's columns as a plain row (no ORM object: a read that changes nothing
    needs none), or 404."""
    rows = read_rows(db.session, db.engine, _PRODUCT_ROW, {"product_id": product_id})
    if not rows:
        raise NotFound(f"Product {product_id} does not exist.")
    return rows[0]


def product_or_404(product_id: int) -> Product:
    """The product, or 404."""
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound(f"Product {product_id} does not exist.")
    return product


def owned_product(product_id: int) -> Product:
    """The product if the caller owns it: 404 if missing, 403 if someone else's."""
    product = product_or_404(product_id)
    if product.owner_user_id != current_user().id:
        raise Forbidden(f"Product {product_id} belongs to another user.")
    return product


_products, _images = Product.__table__, ProductImage.__table__
_PRODUCT_WITH_IMAGES = (
    select(_products.c.owner_user_id, *_images.c)
    .select_from(_products.outerjoin(_images, _images.c.product_id == _products.c.id))
    .where(_products.c.id == bindparam("product_id"))
    .order_by(_images.c.id)
)


def owned_product_images(product_id: int) -> list[Row[Any]]:
    """The images of the caller's product, oldest first, as plain rows: one SELECT of the
    product joined with its images; 404 if the product is missing, 403 if someone else's."""
    rows = read_rows(db.session, db.engine, _PRODUCT_WITH_IMAGES, {"product_id": product_id})
    if not rows:
        raise NotFound(f"Product {product_id} does not exist.")
    if rows[0].owner_user_id != current_user().id:
        raise Forbidden(f"Product {product_id} belongs to another user.")
    return [row for row in rows if row.id is not None]  # no images: one row of NULLs


def owned_image(product_id: int, image_id: int) -> ProductImage:
    """An image of the caller's product: the product's checks first, then 404."""
    product = owned_product(product_id)
    image = db.session.get(ProductImage, image_id)
    if image is None or image.product_id != product.id:
        raise NotFound(f"Image {image_id} does not exist for product {product.id}.")
    return image
