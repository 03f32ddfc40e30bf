"""/v1/product: create, get, replace, patch and delete products."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for
from sqlalchemy import delete, select

from service.api.commits import commit_keeping_objects, commit_or_conflict
from service.api.lookups import owned_product, product_or_404
from service.auth import basic_auth, current_user
from service.dates import touched
from service.extensions import db
from service.models import Product, ProductImage
from service.schemas import (
    PRODUCT_READ_ONLY,
    ProductOut,
    ProductPatch,
    ProductWrite,
    dump,
    load_json_object,
    parse,
)
from service.storage import delete_quietly

bp = Blueprint("products", __name__, url_prefix="/v1/product")


def _commit_sku(sku: str | None) -> None:
    commit_or_conflict(f"SKU {sku} is already used by another product.")


def _parse_body(model: type[ProductWrite] | type[ProductPatch]) -> dict[str, Any]:
    body = load_json_object(request.get_data(), request.mimetype)
    return parse(model, body, read_only=PRODUCT_READ_ONLY)


@bp.post("")
@basic_auth.login_required
def create_product() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Create a product owned by the caller."""
    data = _parse_body(ProductWrite)
    product = Product(owner_user_id=current_user().id, **data)
    db.session.add(product)
    _commit_sku(data["sku"])
    location = url_for(".get_product", product_id=product.id)
    return dump(ProductOut, product), 201, {"Location": location}


@bp.get("/<id:product_id>")
def get_product(product_id: int) -> dict[str, Any]:
    """Any product, no authentication needed."""
    return dump(ProductOut, product_or_404(product_id))


@bp.put("/<id:product_id>")
@basic_auth.login_required
def update_product(product_id: int) -> tuple[str, int]:
    """Replace all five writable fields of the caller's product."""
    return _apply(product_id, ProductWrite)


@bp.patch("/<id:product_id>")
@basic_auth.login_required
def patch_product(product_id: int) -> tuple[str, int]:
    """Change any non-empty subset of the writable fields of the caller's product."""
    return _apply(product_id, ProductPatch)


def _apply(product_id: int, model: type[ProductWrite] | type[ProductPatch]) -> tuple[str, int]:
    product = owned_product(product_id)
    data = _parse_body(model)
    for field, value in data.items():
        setattr(product, field, value)
    product.date_last_updated = touched(product.date_last_updated)
    _commit_sku(data.get("sku"))
    return "", 204


@bp.delete("/<id:product_id>")
@basic_auth.login_required
def delete_product(product_id: int) -> tuple[str, int]:
    """Delete the caller's product and its images: rows first (one transaction), then objects."""
    product = owned_product(product_id)
    keys = db.session.scalars(
        select(ProductImage.object_key).where(ProductImage.product_id == product.id)
    ).all()
    db.session.execute(delete(ProductImage).where(ProductImage.product_id == product.id))
    db.session.delete(product)
    db.session.flush()
    commit_keeping_objects(keys)  # the rows may be gone even if the COMMIT "failed"
    for key in keys:
        delete_quietly(key)
    return "", 204
