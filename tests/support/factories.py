"""Request payloads with unique values, and helpers that create resources through the API."""

from __future__ import annotations

import itertools
from typing import Any

from tests.support.transport import ApiClient, basic_auth

_sequence = itertools.count(1)
PASSWORD = "correct horse:battery,staple"


def user_payload(**overrides: Any) -> dict[str, Any]:
    """A valid POST /v1/user body with a unique username."""
    n = next(_sequence)
    payload = {
        "username": f"user{n}@example.com",
        "password": PASSWORD,
        "first_name": "Jane",
        "last_name": f"Doe {n}",
    }
    return {**payload, **overrides}


def product_payload(**overrides: Any) -> dict[str, Any]:
    """A valid product body with a unique SKU."""
    n = next(_sequence)
    payload = {
        "name": f"Widget {n}",
        "description": "A useful widget",
        "sku": f"SKU-{n:06d}",
        "manufacturer": "Acme",
        "quantity": 10,
    }
    return {**payload, **overrides}


class Account:
    """A user created through the API, with its credentials."""

    def __init__(self, body: dict[str, Any], password: str) -> None:
        self.body = body
        self.id: int = body["id"]
        self.username: str = body["username"]
        self.password = password
        self.auth = basic_auth(self.username, password)


def create_account(api: ApiClient, **overrides: Any) -> Account:
    """POST /v1/user and return the account (asserts it worked)."""
    payload = user_payload(**overrides)
    response = api.post("/v1/user", json=payload)
    assert response.status_code == 201, response.json
    return Account(response.json, payload["password"])


def create_product(api: ApiClient, account: Account, **overrides: Any) -> dict[str, Any]:
    """POST /v1/product as the account and return the product body."""
    response = api.post("/v1/product", json=product_payload(**overrides), headers=account.auth)
    assert response.status_code == 201, response.json
    return response.json
