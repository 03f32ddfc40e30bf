"""service.dates: timestamps that always move forward, and the API's one time format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from service.dates import isoformat, touched, utcnow


def test_touched_always_moves_forward():
    future = utcnow() + timedelta(seconds=5)
    assert touched(future) == future + timedelta(milliseconds=1)
    past = utcnow() - timedelta(seconds=5)
    assert touched(past) > past + timedelta(seconds=4)


@given(
    st.datetimes(  # away from the years a time zone could push out of range
        min_value=datetime(1000, 1, 2),
        max_value=datetime(9998, 12, 30),
        timezones=st.none() | st.timezones(),
    ),
)
def test_isoformat_is_utc_with_milliseconds_and_a_z(value):
    text = isoformat(value)
    utc = value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
    assert text == utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    assert datetime.fromisoformat(text) == utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def test_isoformat_writes_four_digit_years():
    assert isoformat(datetime(999, 1, 2, tzinfo=UTC)) == "0999-01-02T00:00:00.000Z"
