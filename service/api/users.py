"""/v1/user: create, get and update the caller's own account."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, url_for
from sqlalchemy import Row, update

from service.api.bodies import JsonBody
from service.api.commits import commit_or_conflict
from service.api.lookups import own_account
from service.api.operation import Ready, accepts, loads, operation, row_body
from service.dates import touched
from service.extensions import db
from service.fields import USER_READ_ONLY
from service.models import User, hash_password, username_key

bp = Blueprint("users", __name__, url_prefix="/v1/user")


@bp.post("")
@operation(201, "Created", "UserOut", errors=(409,))
@accepts(JsonBody("UserCreate", ignored=USER_READ_ONLY))
def create_user(body: dict[str, Any]) -> tuple[User, dict[str, str]]:
    """Create a user (read-only fields in the body are ignored)."""
    user = User(
        username=body["username"],
        username_key=username_key(body["username"]),
        first_name=body["first_name"],
        last_name=body["last_name"],
    )
    user.set_password(body["password"], current_app.config["BCRYPT_ROUNDS"])
    db.session.add(user)
    commit_or_conflict("A user with this username already exists.")
    return user, {"Location": url_for(".get_user", user_id=user.id)}


# The caller's row as the body, without pydantic (equal to the UserOut dump:
# tests/unit/test_row_bodies.py); the password hash in the row is never part of it.
user_body = row_body(
    "id", "first_name", "last_name", "username", "account_created", "account_updated",
    timestamps=frozenset({"account_created", "account_updated"}),
)  # fmt: skip


@bp.get("/<id:user_id>")
@operation(200, "The user", "UserOut", auth=True, errors=(403,))
@loads(own_account)
def get_user(user: Row[Any]) -> Ready:
    """Get your own account."""
    return user_body(user)


@bp.put("/<id:user_id>")
@operation(204, "Updated", auth=True, errors=(403,))
@loads(own_account)
@accepts(JsonBody("UserUpdate", read_only=USER_READ_ONLY | {"username"}))
def update_user(user: Row[Any], body: dict[str, Any]) -> None:
    """Update your own account (password, first and last name)."""
    # One UPDATE, as the ORM's flush sent it: the caller was read as a row, not an object.
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(
            first_name=body["first_name"],
            last_name=body["last_name"],
            password_hash=hash_password(body["password"], current_app.config["BCRYPT_ROUNDS"]),
            account_updated=touched(user.account_updated),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
