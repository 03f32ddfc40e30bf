"""The verified-credential cache: hits, misses, expiry, bounds, and no stored password."""

from __future__ import annotations

import pytest

from service import credential_cache
from service.credential_cache import CredentialCache

HASH = "$2b$04$abcdefghijklmnopqrstuu"


def test_added_credentials_hit():
    cache = CredentialCache(10, 60)
    cache.add(1, "secret password", HASH)
    assert cache.contains(1, "secret password", HASH)


@pytest.mark.parametrize(
    ("user_id", "password", "password_hash"),
    [(2, "secret password", HASH), (1, "other password", HASH), (1, "secret password", "$2b$x")],
)
def test_any_difference_misses(user_id, password, password_hash):
    cache = CredentialCache(10, 60)
    cache.add(1, "secret password", HASH)
    assert not cache.contains(user_id, password, password_hash)


def test_entries_expire(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(credential_cache.time, "monotonic", lambda: now[0])
    cache = CredentialCache(10, 60)
    cache.add(1, "pw", HASH)
    now[0] += 59
    assert cache.contains(1, "pw", HASH)
    now[0] += 2
    assert not cache.contains(1, "pw", HASH)
    assert len(cache) == 0


def test_least_recently_used_entries_are_evicted():
    cache = CredentialCache(2, 60)
    cache.add(1, "a", HASH)
    cache.add(2, "b", HASH)
    assert cache.contains(1, "a", HASH)  # 1 is now the most recent
    cache.add(3, "c", HASH)
    assert cache.contains(1, "a", HASH) and cache.contains(3, "c", HASH)
    assert not cache.contains(2, "b", HASH)


def test_size_zero_disables_the_cache():
    cache = CredentialCache(0, 60)
    cache.add(1, "a", HASH)
    assert not cache.contains(1, "a", HASH)


def test_no_password_is_stored():
    cache = CredentialCache(10, 60)
    cache.add(1, "hunter2-unique-marker", HASH)
    stored = b"".join(cache._entries)  # the keys are all it keeps
    assert b"hunter2" not in stored and len(stored) == 32
