"""URL converters for the API's paths, each with the JSON Schema the OpenAPI document shows."""

from __future__ import annotations

from typing import Any, ClassVar

from werkzeug.routing import BaseConverter

MAX_ID_DIGITS = 18  # any id that matches fits a signed 64-bit column


class PositiveIdConverter(BaseConverter):
    """A positive integer id: ``0``, ``-1``, ``abc`` and ``12abc`` do not match (404)."""

    regex = rf"[1-9][0-9]{{0,{MAX_ID_DIGITS - 1}}}"
    part_isolating = True
    json_schema: ClassVar[dict[str, Any]] = {
        "type": "integer",
        "minimum": 1,
        "maximum": 10**MAX_ID_DIGITS - 1,
    }

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


# Registered on every app under these names: ``<id:product_id>``.
CONVERTERS: dict[str, type[BaseConverter]] = {"id": PositiveIdConverter}
