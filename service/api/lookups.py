"""Loading resources by id with the API's existence and ownership rules."""

from __future__ import annotations

from werkzeug.exceptions import Forbidden, NotFound

from service.auth import current_user
from service.extensions import db
from service.models import Product


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
