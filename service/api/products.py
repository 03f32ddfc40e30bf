"""/v1/product: create, get, replace, patch and delete products."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, url_for
from sqlalchemy import delete, select
from werkzeug.exceptions import NotFound

from service.api.bodies import JsonBody
from service.api.commits import commit_keeping_objects, commit_or_conflict, retry_on_deadlock
from service.api.lookups import owned_product, product_row_or_404
from service.api.operation import Ready, accepts, loads, operation, row_body
from service.auth import current_user
from service.dates import touched
from service.extensions import db
from service.fields import PRODUCT_READ_ONLY
from service.models import Product, ProductImage
from service.storage import delete_quietly

bp = Blueprint("products", __name__, url_prefix="/v1/product")


def _commit_sku(sku: str | None) -> None:
    commit_or_conflict(f"SKU {sku} is already used by another product.")


@bp.post("")
@operation(201, "Created", "ProductOut", auth=True, errors=(409,))
@accepts(JsonBody("ProductWrite", read_only=PRODUCT_READ_ONLY))
def create_product(body: dict[str, Any]) -> tuple[Product, dict[str, str]]:
    """Create a product owned by the caller."""
    product = Product(owner_user_id=current_user().id, **body)
    db.session.add(product)
    _commit_sku(body["sku"])
    return product, {"Location": url_for(".get_product", product_id=product.id)}


# GET product's body straight from the row: no pydantic on the hot read, nor at a cold
# start answering it (equal to the ProductOut dump: tests/unit/test_row_bodies.py).
product_body = row_body(
    "id", "name", "description", "sku", "manufacturer", "quantity", "date_added",
    "date_last_updated", "owner_user_id",
    timestamps=frozenset({"date_added", "date_last_updated"}),
)  # fmt: skip


@bp.get("/<id:product_id>")
@operation(200, "The product", "ProductOut")
def get_product(product_id: int) -> Ready:
    """Get a product."""
    return product_body(product_row_or_404(product_id))  # any product, no authentication


@bp.put("/<id:product_id>")
@operation(204, "Updated", auth=True, errors=(403, 409))
@loads(owned_product)
@accepts(JsonBody("ProductWrite", read_only=PRODUCT_READ_ONLY))
def update_product(product: Product, body: dict[str, Any]) -> None:
    """Replace all five writable fields of your product."""
    _apply(product, body)


@bp.patch("/<id:product_id>")
@operation(204, "Updated", auth=True, errors=(403, 409))
@loads(owned_product)
@accepts(JsonBody("ProductPatch", read_only=PRODUCT_READ_ONLY))
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
    # Rows first (one transaction), then the objects of exactly the rows deleted.
    product_id = product.id
    keys = retry_on_deadlock(lambda: _delete_rows(product_id))
    for key in keys:
        delete_quietly(key)


def _delete_rows(product_id: int) -> list[str]:
    # Lock the product row before reading its images: an upload inserts its image row
    # under a foreign-key check that takes a shared lock on this row, so no image row
    # can appear between the read of the keys and the delete (its INSERT waits, then
    # fails: the product is gone). Locking reads see the latest committed rows, not the
    # snapshot of the request's first query. On SQLite every transaction holds the
    # write lock from its start (service/sqlite.py).
    locked = select(Product.id).where(Product.id == product_id).with_for_update()
    if db.session.scalar(locked) is None:
        raise NotFound(f"Product {product_id} does not exist.")  # deleted meanwhile
    rows = db.session.execute(
        select(ProductImage.id, ProductImage.object_key)
        .where(ProductImage.product_id == product_id)
        .with_for_update()
    ).all()
    if rows:
        db.session.execute(delete(ProductImage).where(ProductImage.id.in_([r.id for r in rows])))
    db.session.execute(delete(Product).where(Product.id == product_id))
    keys = [row.object_key for row in rows]
    commit_keeping_objects(keys)  # the rows may be gone even if the COMMIT "failed"
    return keys
