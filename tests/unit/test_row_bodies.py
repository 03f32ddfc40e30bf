"""Bodies built from rows without pydantic (GET product, GET user) equal the models' dumps."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from service.api.operation import Ready
from service.api.products import product_body
from service.api.users import user_body
from service.models import Product, User
from service.schemas import ProductOut, UserOut, dump

WHEN = datetime(2016, 8, 29, 9, 12, 33, 1000, tzinfo=UTC)
LATER = datetime(2016, 8, 29, 9, 12, 33, 999000, tzinfo=UTC)
PRODUCT = {
    "id": 7, "name": "Näme \U0001f600", "description": "", "sku": "AB-1", "manufacturer": "m",
    "quantity": 0, "date_added": WHEN, "date_last_updated": LATER, "owner_user_id": 3,
}  # fmt: skip
USER = {
    "id": 3, "first_name": "Ada", "last_name": "L", "username": "ada@example.com",
    "account_created": WHEN, "account_updated": LATER, "password_hash": "$2b$04$not-a-hash",
}  # fmt: skip


@pytest.mark.parametrize(
    ("build", "model", "row"),
    [(product_body, ProductOut, PRODUCT), (user_body, UserOut, USER)],
    ids=["product", "user"],
)
def test_a_row_body_is_the_models_dump(build, model, row):
    row = SimpleNamespace(**row)
    body = build(row)
    assert type(body) is Ready
    assert body == dump(model, row)
    assert list(body) == list(dump(model, row))  # the same key order in the JSON
    assert "password_hash" not in body


@pytest.mark.parametrize(("model", "table"), [(ProductOut, Product), (UserOut, User)])
def test_the_columns_have_the_fields_types(model, table):
    # The row bodies pass values through as the database returns them: the columns'
    # Python types must be the fields' types (timestamps are formatted).
    columns = table.__table__.c
    for name, field in model.model_fields.items():
        column_type = columns[name].type
        column_type = getattr(column_type, "impl", column_type)  # UTCDateTime: a DateTime
        assert column_type.python_type is field.annotation, name


def test_creating_the_app_imports_no_pydantic():
    # pydantic comes with the first request that validates or dumps through a model.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from service import create_app\n"
        "app = create_app({'DATABASE_URL': 'sqlite://', 'IMAGES_BUCKET': 'b'})\n"
        "print('pydantic' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
