"""URL converters for the API's paths."""

from __future__ import annotations

from werkzeug.routing import BaseConverter


class PositiveIdConverter(BaseConverter):
    """A positive integer id: ``0``, ``-1``, ``abc`` and ``12abc`` do not match (404).

    At most 18 digits, so any id that matches fits a signed 64-bit column.
    """

    regex = r"[1-9][0-9]{0,17}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
