"""service.dates: timestamps that always move forward."""

from __future__ import annotations

from datetime import timedelta

from service.dates import touched, utcnow


def test_touched_always_moves_forward():
    future = utcnow() + timedelta(seconds=5)
    assert touched(future) == future + timedelta(milliseconds=1)
    past = utcnow() - timedelta(seconds=5)
    assert touched(past) > past + timedelta(seconds=4)
