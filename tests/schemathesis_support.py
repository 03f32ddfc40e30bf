"""Teach schemathesis what our document cannot say in JSON Schema."""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

from service.schemas import MAX_PASSWORD_BYTES, MIN_PASSWORD_LENGTH


def _fits_bcrypt(value: str) -> bool:
    return len(value.encode("utf-8", "surrogatepass")) <= MAX_PASSWORD_BYTES


# "password" strings are limited in UTF-8 bytes, not characters.
PASSWORDS = st.text(
    alphabet=st.characters(exclude_categories=("Cs",)), min_size=MIN_PASSWORD_LENGTH, max_size=72
).filter(_fits_bcrypt)


def register_formats() -> None:
    """Register generators for the custom string formats the document uses."""
    schemathesis.openapi.format("password", PASSWORDS)
