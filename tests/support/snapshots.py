"""What a request may have changed: every row of every table, every stored image object."""

from __future__ import annotations

from typing import Any

import boto3
from sqlalchemy import text

from service.extensions import db
from tests.support.databases import TABLES


def stored_objects(app: Any) -> list[str]:
    """Every object in the image store, whichever backend the app uses."""
    bucket = app.config["IMAGES_BUCKET"]
    if bucket:
        listing = boto3.client("s3").list_objects_v2(Bucket=bucket)
        return sorted(obj["Key"] for obj in listing.get("Contents", []))
    root = app.extensions["image_store"].root
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def snapshot(app: Any) -> tuple[dict[str, list[tuple]], list[str]]:
    """Every row of every table, and every stored object: equal before and after a
    refused request, or something changed."""
    with app.app_context():
        rows = {
            table: [
                tuple(r) for r in db.session.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            ]
            for table in TABLES
        }
        db.session.remove()
    return rows, stored_objects(app)
