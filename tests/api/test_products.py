"""/v1/product: create, get, replace, patch, delete."""

from __future__ import annotations

import json
import re

import pytest

from tests.support.factories import create_account, create_product, product_payload
from tests.support.snapshots import snapshot

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
PRODUCT_FIELDS = {
    "id", "name", "description", "sku", "manufacturer", "quantity",
    "date_added", "date_last_updated", "owner_user_id",
}  # fmt: skip


def test_create_product_returns_the_product(api, owner):
    payload = product_payload(sku="  abc-123 ", quantity=5)
    response = api.post("/v1/product", json=payload, headers=owner.auth)
    assert response.status_code == 201
    body = response.json
    assert set(body) == PRODUCT_FIELDS
    assert body["sku"] == "ABC-123"
    assert body["quantity"] == 5
    assert body["owner_user_id"] == owner.id
    assert body["name"] == payload["name"]
    assert TIMESTAMP.match(body["date_added"]) and body["date_added"] == body["date_last_updated"]
    assert response.headers["Location"].endswith(f"/v1/product/{body['id']}")


def test_create_product_requires_auth(api, app):
    before = snapshot(app)
    response = api.post("/v1/product", json=product_payload())
    assert response.status_code == 401
    assert snapshot(app) == before


def test_get_product_needs_no_auth_and_matches_create(api, product):
    response = api.get(f"/v1/product/{product['id']}")
    assert response.status_code == 200
    assert response.json == product


def test_get_missing_product_is_404(api):
    response = api.get("/v1/product/987654")
    assert response.status_code == 404
    assert response.json["detail"] == "Product 987654 does not exist."


@pytest.mark.parametrize("quantity", [0, 5, 5.0, 100, 100.0, -0.0])
def test_quantity_accepts_integral_numbers_in_range(api, owner, quantity):
    response = api.post("/v1/product", json=product_payload(quantity=quantity), headers=owner.auth)
    assert response.status_code == 201
    assert response.json["quantity"] == int(quantity)
    assert isinstance(response.json["quantity"], int)


@pytest.mark.parametrize("quantity", [1.5, True, False, "3", None, 1e6, -1, 101, [], {}])
def test_quantity_rejects_non_integers_and_out_of_range(api, owner, quantity):
    response = api.post("/v1/product", json=product_payload(quantity=quantity), headers=owner.auth)
    assert response.status_code == 400
    assert [e["field"] for e in response.json["errors"]] == ["quantity"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "  "}, "name"),
        ({"sku": "   "}, "sku"),
        ({"name": "x" * 256}, "name"),
        ({"description": "x" * 256}, "description"),
        ({"manufacturer": "x" * 256}, "manufacturer"),
        ({"sku": "x" * 256}, "sku"),
        ({"description": None}, "description"),
        ({"manufacturer": 7}, "manufacturer"),
        ({"color": "red"}, "color"),
        ({"id": 1}, "id"),
        ({"owner_user_id": 1}, "owner_user_id"),
        ({"date_added": "2020-01-01T00:00:00.000Z"}, "date_added"),
        ({"date_last_updated": "2020-01-01T00:00:00.000Z"}, "date_last_updated"),
    ],
)
def test_create_product_rejects_invalid_fields(api, owner, overrides, field):
    response = api.post("/v1/product", json=product_payload(**overrides), headers=owner.auth)
    assert response.status_code == 400
    assert [e["field"] for e in response.json["errors"]] == [field]


def test_create_product_requires_all_five_fields(api, owner):
    response = api.post("/v1/product", json={"name": "x"}, headers=owner.auth)
    assert response.status_code == 400
    missing = sorted(e["field"] for e in response.json["errors"])
    assert missing == ["description", "manufacturer", "quantity", "sku"]


def test_create_product_accepts_255_character_strings(api, owner):
    payload = product_payload(name="n" * 255, description="d" * 255, manufacturer="m" * 255)
    response = api.post("/v1/product", json=payload, headers=owner.auth)
    assert response.status_code == 201
    assert response.json["description"] == "d" * 255


def test_sku_is_unique_across_users_and_case(api, owner, product):
    other = create_account(api)
    payload = product_payload(sku=product["sku"].lower())
    response = api.post("/v1/product", json=payload, headers=other.auth)
    assert response.status_code == 409
    assert response.json["detail"] == f"SKU {product['sku']} is already used by another product."


def test_sql_injection_looking_strings_are_stored_verbatim(api, owner):
    name = "Robert'); DROP TABLE products;--"
    created = create_product(api, owner, name=name, description='" OR 1=1 --')
    fetched = api.get(f"/v1/product/{created['id']}").json
    assert fetched["name"] == name and fetched["description"] == '" OR 1=1 --'


def test_put_replaces_all_fields(api, owner, product):
    new = product_payload(quantity=3.0, sku="new-sku-77")
    response = api.put(f"/v1/product/{product['id']}", json=new, headers=owner.auth)
    assert response.status_code == 204 and response.data == b""
    body = api.get(f"/v1/product/{product['id']}").json
    assert body["sku"] == "NEW-SKU-77" and body["quantity"] == 3
    assert body["name"] == new["name"]
    assert body["date_added"] == product["date_added"]
    assert body["date_last_updated"] > product["date_last_updated"]


def test_put_may_keep_its_own_sku(api, owner, product):
    new = product_payload(sku=product["sku"])
    assert api.put(f"/v1/product/{product['id']}", json=new, headers=owner.auth).status_code == 204


def test_put_to_another_products_sku_is_409_and_changes_nothing(api, owner, product):
    second = create_product(api, owner)
    new = product_payload(sku=product["sku"])
    response = api.put(f"/v1/product/{second['id']}", json=new, headers=owner.auth)
    assert response.status_code == 409
    assert api.get(f"/v1/product/{second['id']}").json == second


def test_put_requires_all_five_fields(api, owner, product):
    response = api.put(f"/v1/product/{product['id']}", json={"quantity": 1}, headers=owner.auth)
    assert response.status_code == 400
    assert api.get(f"/v1/product/{product['id']}").json == product


def test_patch_changes_only_the_given_fields(api, owner, product):
    response = api.patch(f"/v1/product/{product['id']}", json={"quantity": 42}, headers=owner.auth)
    assert response.status_code == 204
    body = api.get(f"/v1/product/{product['id']}").json
    assert body == {**product, "quantity": 42, "date_last_updated": body["date_last_updated"]}
    assert body["date_last_updated"] > product["date_last_updated"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": None},
        {"quantity": 1.5},
        {"quantity": True},
        {"sku": ""},
        {"id": 3},
        {"owner_user_id": 3},
        {"unknown": 1},
    ],
)
def test_patch_rejects_bad_bodies_and_changes_nothing(api, owner, product, body):
    response = api.patch(f"/v1/product/{product['id']}", json=body, headers=owner.auth)
    assert response.status_code == 400
    assert response.json["errors"]
    assert api.get(f"/v1/product/{product['id']}").json == product


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_owner_only_routes_are_403_for_others(api, owner, product, method):
    other = create_account(api)
    response = api.request(
        method, f"/v1/product/{product['id']}", json=product_payload(), headers=other.auth
    )
    assert response.status_code == 403
    assert response.json["title"] == "Forbidden"
    assert api.get(f"/v1/product/{product['id']}").json == product


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_owner_only_routes_are_401_without_auth(api, product, method):
    response = api.request(method, f"/v1/product/{product['id']}", json=product_payload())
    assert response.status_code == 401


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_owner_only_routes_are_404_for_missing_products(api, owner, method):
    response = api.request(method, "/v1/product/99999", json=product_payload(), headers=owner.auth)
    assert response.status_code == 404


def test_delete_product_removes_it(api, owner, product):
    assert api.delete(f"/v1/product/{product['id']}", headers=owner.auth).status_code == 204
    assert api.get(f"/v1/product/{product['id']}").status_code == 404
    assert api.delete(f"/v1/product/{product['id']}", headers=owner.auth).status_code == 404


def test_deleted_products_sku_can_be_reused(api, owner, product):
    api.delete(f"/v1/product/{product['id']}", headers=owner.auth)
    create_product(api, owner, sku=product["sku"])


def test_sku_is_stored_trimmed_and_upper_cased_as_documented(api, owner):
    created = create_product(api, owner, sku="  ab-trim-1 ")
    assert created["sku"] == "AB-TRIM-1"
    assert api.get(f"/v1/product/{created['id']}").json["sku"] == "AB-TRIM-1"


# Issue 11: the limit applies to the stored value; upper-casing can lengthen a SKU.
@pytest.mark.parametrize(
    ("sku", "stored_length"),
    [("ß" * 128, 256), ("ﬃ" * 255, 765), ("ŉ" * 200, 400), ("ß" * 127 + "x", None)],
)
def test_sku_limit_applies_after_upper_casing(api, owner, sku, stored_length):
    response = api.post("/v1/product", json=product_payload(sku=sku), headers=owner.auth)
    if stored_length is None:  # 254 + 1 characters once upper-cased: fits
        assert response.status_code == 201, response.json
        assert response.json["sku"] == "SS" * 127 + "X"
        return
    assert response.status_code == 400, response.json
    assert response.json["errors"] == [
        {"field": "sku", "message": "Must be at most 255 characters once upper-cased."}
    ]


def test_sku_limit_after_upper_casing_holds_on_patch_and_changes_nothing(api, owner, product):
    response = api.patch(
        f"/v1/product/{product['id']}", json={"sku": "ß" * 200}, headers=owner.auth
    )
    assert response.status_code == 400
    assert api.get(f"/v1/product/{product['id']}").json == product


# Issue 11: JSON numbers are exact; floats would round these to 1 and 0.
@pytest.mark.parametrize(
    "raw", ["0.99999999999999999999", "1e-400", "100.00000000000000001", "1e400", "-1e-400"]
)
def test_quantity_that_only_rounds_to_an_integer_is_400(api, owner, raw):
    payload = json.dumps(product_payload(quantity=0)).replace('"quantity": 0', f'"quantity": {raw}')
    response = api.post(
        "/v1/product", data=payload, content_type="application/json", headers=owner.auth
    )
    assert response.status_code == 400, response.json
    assert [e["field"] for e in response.json["errors"]] == ["quantity"]


@pytest.mark.parametrize(("raw", "stored"), [("7.000", 7), ("1e2", 100), ("-0.0", 0)])
def test_quantity_written_as_an_exact_integral_decimal_is_accepted(api, owner, raw, stored):
    payload = json.dumps(product_payload(quantity=0)).replace('"quantity": 0', f'"quantity": {raw}')
    response = api.post(
        "/v1/product", data=payload, content_type="application/json", headers=owner.auth
    )
    assert response.status_code == 201, response.json
    assert response.json["quantity"] == stored
