"""UTC timestamps with millisecond precision, the API's only time format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    """Now in UTC, truncated to milliseconds so every database stores it unchanged."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def touched(previous: datetime) -> datetime:
    """An update timestamp: now, but always later than ``previous`` (a change is visible
    even when it lands in the same millisecond as the last one)."""
    now = utcnow()
    return now if now > previous else previous + timedelta(milliseconds=1)


def isoformat(value: datetime) -> str:
    """Format as ``2016-08-29T09:12:33.001Z`` (always three fractional digits; naive
    values are taken as UTC). Not ``strftime``: a third slower, and it writes year 999
    as ``999``."""
    if value.tzinfo is not None and value.utcoffset():
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
