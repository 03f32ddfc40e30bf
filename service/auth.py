"""HTTP Basic authentication: the username is the user's e-mail.

Flask-HTTPAuth runs the login flow; its header parser is replaced by a strict one
(RFC 7617), and every failed login costs the same work whether the user exists or not.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import re
from typing import Any

import bcrypt
from flask import Flask, Response, current_app, request
from flask_httpauth import HTTPBasicAuth
from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import Authorization

from service.connections import read_rows
from service.credential_cache import CredentialCache
from service.errors import problem
from service.extensions import db
from service.fields import MAX_PASSWORD_BYTES
from service.models import User, hash_password, password_matches, username_key

logger = logging.getLogger(__name__)

REALM = "inventory"
MAX_USERNAME = 254  # the longest e-mail address registration accepts

# `Basic` in any ASCII case (re.ASCII: no Unicode folding, so "Ba\u017fic" is not "Basic"),
# one or more spaces, then one token of standard base64 with its padding: RFC 7617
# section 2 and the token68 syntax of RFC 9110 section 11.2. Anything else, including
# two credentials joined by a comma (a repeated header), does not match.
_BASIC = re.compile(r"basic +([A-Za-z0-9+/]*={0,2})", re.IGNORECASE | re.ASCII)


def parse_basic(header: str) -> tuple[str, str] | None:
    """``(username, password)`` from an Authorization value, or None if it is not strict Basic.

    Strict means: the canonical base64 encoding of UTF-8 text containing a colon.
    """
    match = _BASIC.fullmatch(header.strip(" \t"))
    if match is None:
        return None
    token = match.group(1)
    try:
        raw = base64.b64decode(token, validate=True)
    except binascii.Error:
        return None
    # Only the canonical spelling: no set padding bits, so one credential has one token.
    if base64.b64encode(raw).decode("ascii") != token:
        return None
    try:
        text = raw.decode("utf-8")  # RFC 7617 charset="UTF-8"; never retried as latin-1
    except UnicodeDecodeError:
        return None
    username, colon, password = text.partition(":")
    return (username, password) if colon else None


class StrictBasicAuth(HTTPBasicAuth):  # type: ignore[misc]
    """Flask-HTTPAuth's Basic auth with a strict parser (its own accepts any scheme,
    ignores junk in the base64 and falls back to latin-1)."""

    def get_auth(self) -> Authorization | None:
        header = request.headers.get("Authorization")
        credentials = parse_basic(header) if header is not None else None
        if credentials is None:
            return None
        return Authorization("basic", {"username": credentials[0], "password": credentials[1]})


basic_auth = StrictBasicAuth(realm=REALM)


@functools.cache
def _dummy_hash(rounds: int) -> str:
    # Checked against when the user does not exist, so that answering 401
    # takes as long for an unknown username as for a wrong password.
    return hash_password("not-a-password", rounds)


def init_app(app: Flask) -> None:
    """Give the app its verified-credential cache."""
    app.extensions["credential_cache"] = CredentialCache(
        app.config["AUTH_CACHE_SIZE"], app.config["AUTH_CACHE_TTL"]
    )


def _cache() -> CredentialCache:
    cache: CredentialCache = current_app.extensions["credential_cache"]
    return cache


def _usable(password: str) -> bool:
    # What registration can have stored: bcrypt ignores bytes after a NUL and
    # refuses more than 72 bytes, so such a password can never be the right one.
    return 0 < len(password.encode()) <= MAX_PASSWORD_BYTES and "\0" not in password


def _cost(password_hash: str) -> int:
    return int(password_hash.split("$")[2])  # "$2b$<cost>$<salt and hash>"


def _upgrade_hash(user: Row[Any], password: str, rounds: int) -> str:
    """Re-hash at the configured cost after a successful login, if the stored cost differs;
    returns the hash stored now (the new one, or the old one if the upgrade did not land).

    A compare-and-set: if the password changed since this request read it, the
    new hash is kept and this one is dropped.
    """
    old_hash: str = user.password_hash
    new_hash = hash_password(password, rounds)
    try:
        result = db.session.execute(
            update(User)
            .where(User.id == user.id, User.password_hash == old_hash)
            .values(password_hash=new_hash)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except SQLAlchemyError:  # an optimisation only: the login itself succeeded
        db.session.rollback()
        logger.warning("could not upgrade a password hash", extra={"user_id": user.id})
        return old_hash
    return new_hash if result.rowcount == 1 else old_hash  # type: ignore[attr-defined]


# The caller's columns as a plain row, not an ORM object (service.connections.read_rows):
# the views only read them, and a change to the account is an UPDATE (service/api/users.py).
_users = User.__table__
_CALLER = select(*_users.c).where(_users.c.username_key == bindparam("username_key"))


@basic_auth.verify_password
def verify_password(username: str, password: str) -> Row[Any] | None:
    """The user these credentials belong to (the row of its columns), or None (401).

    Every request that names a username costs one user lookup and one bcrypt
    check at the cost of the hash it is checked against, whether the user
    exists, the password is wrong, empty, too long or contains NUL.
    """
    if not username:
        return None  # no (or malformed) credentials: nothing to look up
    rounds = current_app.config["BCRYPT_ROUNDS"]
    user: Row[Any] | None = None
    if len(username) <= MAX_USERNAME:
        rows = read_rows(db.session, db.engine, _CALLER, {"username_key": username_key(username)})
        user = rows[0] if rows else None
    cached = user is not None and _cache().contains(user.id, password, user.password_hash)
    if cached:
        matched = True
    elif user is not None and _usable(password):
        matched = password_matches(user.password_hash, password)
    else:
        stored = user.password_hash if user is not None else _dummy_hash(rounds)
        bcrypt.checkpw(b"unusable", stored.encode())  # the same work as a real check
        matched = False
    if user is None or not matched:
        return None
    stored_hash: str = user.password_hash
    if _cost(stored_hash) != rounds:
        stored_hash = _upgrade_hash(user, password, rounds)
        cached = False  # the hash changed: remember the credentials against the new one
    if not cached:
        _cache().add(user.id, password, stored_hash)
    return user


@basic_auth.error_handler
def auth_error(status: int) -> Response:
    """The same problem body for every failure; Flask-HTTPAuth adds WWW-Authenticate."""
    return problem(status, "Valid HTTP Basic credentials are required.")


def current_user() -> Row[Any]:
    """The authenticated user of this request: the row of its columns."""
    user: Row[Any] = basic_auth.current_user()
    return user
