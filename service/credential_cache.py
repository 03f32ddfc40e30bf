"""Remembers recently verified credentials so bcrypt (~60 ms) runs once, not per request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict


class CredentialCache:
    """A bounded, expiring set of HMAC digests of (user, password, stored hash).

    No password is stored: entries are keyed digests under a per-process
    random key. The stored hash is part of the digest, so a password change
    (a new hash) misses the cache without any explicit invalidation.
    """

    def __init__(self, max_entries: int, ttl_seconds: float) -> None:
        self.max_entries = max_entries
        self.ttl = ttl_seconds
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, user_id: int, password: str, password_hash: str) -> bytes:
        message = f"{user_id}\0{password_hash}\0{password}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def contains(self, user_id: int, password: str, password_hash: str) -> bool:
        """True if these credentials were verified against this hash within the TTL."""
        digest = self._digest(user_id, password, password_hash)
        now = time.monotonic()
        with self._lock:
            expires = self._entries.get(digest)
            if expires is None:
                return False
            if expires < now:
                del self._entries[digest]
                return False
            self._entries.move_to_end(digest)
            return True

    def add(self, user_id: int, password: str, password_hash: str) -> None:
        """Remember credentials that bcrypt just verified."""
        if self.max_entries <= 0:
            return
        digest = self._digest(user_id, password, password_hash)
        with self._lock:
            self._entries[digest] = time.monotonic() + self.ttl
            self._entries.move_to_end(digest)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def reseed(self) -> None:
        """A new random key and no entries (after a SnapStart restore: never shared)."""
        with self._lock:
            self._key = secrets.token_bytes(32)
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
