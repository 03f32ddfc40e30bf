"""HTTP Basic authentication: the username is the user's e-mail."""

from __future__ import annotations

import functools

import bcrypt
from flask import Flask, Response, current_app
from flask_httpauth import HTTPBasicAuth
from sqlalchemy import select

from service.credential_cache import CredentialCache
from service.errors import problem
from service.extensions import db
from service.models import User, username_key

REALM = "inventory"
basic_auth = HTTPBasicAuth(realm=REALM)


@functools.cache
def _dummy_hash(rounds: int) -> bytes:
    # Checked against when the user does not exist, so that answering 401
    # takes as long for an unknown username as for a wrong password.
    return bcrypt.hashpw(b"not-a-password", bcrypt.gensalt(rounds))


def init_app(app: Flask) -> None:
    """Give the app its verified-credential cache."""
    app.extensions["credential_cache"] = CredentialCache(
        app.config["AUTH_CACHE_SIZE"], app.config["AUTH_CACHE_TTL"]
    )


def _cache() -> CredentialCache:
    cache: CredentialCache = current_app.extensions["credential_cache"]
    return cache


@basic_auth.verify_password
def verify_password(username: str, password: str) -> User | None:
    """The user these credentials belong to, or None (401)."""
    if not username or not password or len(username) > 254:
        return None
    user = db.session.scalar(select(User).where(User.username_key == username_key(username)))
    if user is None:
        bcrypt.checkpw(b"not-the-password", _dummy_hash(current_app.config["BCRYPT_ROUNDS"]))
        return None
    if _cache().contains(user.id, password, user.password_hash):
        return user  # type: ignore[no-any-return]
    if user.check_password(password):
        _cache().add(user.id, password, user.password_hash)
        return user  # type: ignore[no-any-return]
    return None


@basic_auth.error_handler
def auth_error(status: int) -> Response:
    """The same problem body for every failure; Flask-HTTPAuth adds WWW-Authenticate."""
    return problem(status, "Valid HTTP Basic credentials are required.")


def current_user() -> User:
    """The authenticated user of this request."""
    user: User = basic_auth.current_user()
    return user
