"""Response bodies built from rows (``row_dumper``) equal what the pydantic models dump."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from service.models import Product
from service.schemas import Dumped, ProductOut, dump, row_dumper


def _product_row(**overrides):
    values = {
        "id": 7,
        "name": "Näme \U0001f600",
        "description": "",
        "sku": "AB-1",
        "manufacturer": "m",
        "quantity": 0,
        "date_added": datetime(2016, 8, 29, 9, 12, 33, 1000, tzinfo=UTC),
        "date_last_updated": datetime(2016, 8, 29, 9, 12, 33, 999000, tzinfo=UTC),
        "owner_user_id": 3,
    }
    return SimpleNamespace(**{**values, **overrides})


def test_a_row_dumps_like_the_response_model():
    row = _product_row()
    fast = row_dumper(ProductOut)(row)
    assert fast == dump(ProductOut, row)
    assert list(fast) == list(dump(ProductOut, row))  # the same key order in the JSON
    assert fast["date_added"] == "2016-08-29T09:12:33.001Z"


def test_dump_keeps_a_dumped_body():
    body = row_dumper(ProductOut)(_product_row())
    assert type(body) is Dumped and dump(ProductOut, body) is body


def test_the_product_row_has_the_response_fields_with_their_types():
    # The row dumper trusts the columns: their Python types are the fields' types.
    columns = Product.__table__.c
    assert list(ProductOut.model_fields) == [c.name for c in columns]
    for name, field in ProductOut.model_fields.items():
        column_type = columns[name].type
        column_type = getattr(column_type, "impl", column_type)  # UTCDateTime: a DateTime
        assert column_type.python_type is field.annotation, name
