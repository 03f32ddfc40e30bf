"""/v1/product: create, get, replace, patch and delete products."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, url_for
from sqlalchemy import delete, select

from service.api.bodies import JsonBody
from service.api.commits import commit_keeping_objects, commit_or_conflict
from service.api.lookups import owned_product, product_or_404
from service.api.operation import accepts, loads, operation
from service.auth import current_user
from service.dates import touched
from service.extensions import db
from service.models import Product, ProductImage
from service.schemas import PRODUCT_READ_ONLY, ProductOut, ProductPatch, ProductWrite
from service.storage import delete_quietly

bp = Blueprint("products", __name__, url_prefix="/v1/product")


def _commit_sku(sku: str | None) -> None:
    commit_or_conflict(f"SKU {sku} is already used by another product.")


@bp.post("")
@operation(201, "Created", ProductOut, auth=True, errors=(409,))
@accepts(JsonBody(ProductWrite, read_only=PRODUCT_READ_ONLY))
def create_product(body: dict[str, Any]) -> tuple[Product, dict[str, str]]:
    """Create a product owned by the caller."""
    product = Product(owner_user_id=current_user().id, **body)
    db.session.add(product)
    _commit_sku(body["sku"])
    return product, {"Location": url_for(".get_product", product_id=product.id)}


@bp.get("/<id:product_id>")
@operation(200, "The product", ProductOut)
@loads(product_or_404)
def get_product(product: Product) -> Product:
    """Get a product."""
    return product  # any product, no authentication needed


@bp.put("/<id:product_id>")
@operation(204, "Updated", auth=True, errors=(403, 409))
@loads(owned_product)
@accepts(JsonBody(ProductWrite, read_only=PRODUCT_READ_ONLY))
def update_product(product: Product, body: dict[str, Any]) -> None:
    """Replace all five writable fields of your product."""
    _apply(product, body)


@bp.patch("/<id:product_id>")
@operation(204, "Updated", auth=True, errors=(403, 409))
@loads(owned_product)
@accepts(JsonBody(ProductPatch, read_only=PRODUCT_READ_ONLY))
def patch_product(product: Product, body: dict[str, Any]) -> None:
    """Change some writable fields of your product."""
    _apply(product, body)  # any non-empty subset of the five


def _apply(product: Product, body: dict[str, Any]) -> None:
    for field, value in body.items():
        setattr(product, field, value)
    product.date_last_updated = touched(product.date_last_updated)
    _commit_sku(body.get("sku"))


@bp.delete("/<id:product_id>")
@operation(204, "Deleted", auth=True, errors=(403,))
@loads(owned_product)
def delete_product(product: Product) -> None:
    """Delete your product and its images."""
    # Rows first (one transaction), then the objects.
    keys = db.session.scalars(
        select(ProductImage.object_key).where(ProductImage.product_id == product.id)
    ).all()
    db.session.execute(delete(ProductImage).where(ProductImage.product_id == product.id))
    db.session.delete(product)
    db.session.flush()
    commit_keeping_objects(keys)  # the rows may be gone even if the COMMIT "failed"
    for key in keys:
        delete_quietly(key)
