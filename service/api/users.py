"""/v1/user: create, get and update the caller's own account."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request, url_for
from werkzeug.exceptions import Forbidden

from service.api.commits import commit_or_conflict
from service.auth import basic_auth, current_user
from service.dates import touched
from service.extensions import db
from service.models import User, username_key
from service.schemas import (
    USER_READ_ONLY,
    UserCreate,
    UserOut,
    UserUpdate,
    dump,
    load_json_object,
    parse,
)

bp = Blueprint("users", __name__, url_prefix="/v1/user")


def _own_account(user_id: int) -> User:
    user = current_user()
    if user.id != user_id:
        raise Forbidden("You can only access your own account.")
    return user


@bp.post("")
def create_user() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Create an account; read-only fields in the body are ignored."""
    body = load_json_object(request.get_data(), request.mimetype)
    data = parse(UserCreate, {k: v for k, v in body.items() if k not in USER_READ_ONLY})
    user = User(
        username=data["username"],
        username_key=username_key(data["username"]),
        first_name=data["first_name"],
        last_name=data["last_name"],
    )
    user.set_password(data["password"], current_app.config["BCRYPT_ROUNDS"])
    db.session.add(user)
    commit_or_conflict("A user with this username already exists.")
    return dump(UserOut, user), 201, {"Location": url_for(".get_user", user_id=user.id)}


@bp.get("/<id:user_id>")
@basic_auth.login_required
def get_user(user_id: int) -> dict[str, Any]:
    """The caller's own account (any other id is 403, existing or not)."""
    return dump(UserOut, _own_account(user_id))


@bp.put("/<id:user_id>")
@basic_auth.login_required
def update_user(user_id: int) -> tuple[str, int]:
    """Replace password, first and last name; the username cannot change."""
    user = _own_account(user_id)
    body = load_json_object(request.get_data(), request.mimetype)
    data = parse(UserUpdate, body, read_only=USER_READ_ONLY | {"username"})
    user.first_name = data["first_name"]
    user.last_name = data["last_name"]
    user.set_password(data["password"], current_app.config["BCRYPT_ROUNDS"])
    user.account_updated = touched(user.account_updated)
    db.session.commit()
    return "", 204
