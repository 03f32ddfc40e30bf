"""service.models: passwords, normalised keys and millisecond UTC timestamps on both
databases, and why the username keys already stored need no migration."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import IntegrityError

from service.extensions import db
from service.models import Product, User, password_matches, username_key
from service.schemas import UserCreate


def _user(**overrides):
    values = {
        "username": "Ann@Example.com",
        "username_key": username_key("Ann@Example.com"),
        "password_hash": "x",
        "first_name": "Ann",
        "last_name": "Lee",
        **overrides,
    }
    return User(**values)


def test_password_is_hashed_and_checked(app):
    user = _user()
    user.set_password("s3cret:pass,word", rounds=4)
    assert user.password_hash.startswith("$2b$04$")
    assert password_matches(user.password_hash, "s3cret:pass,word")
    assert not password_matches(user.password_hash, "s3cret:pass,wor")
    assert not password_matches(user.password_hash, "x" * 73)  # bcrypt 5 refuses: False


def test_username_key_is_case_insensitive_in_ascii_only():
    assert username_key("Ann@Example.COM") == "ann@example.com"
    assert username_key(" ann@example.com ") == " ann@example.com "  # no stripping
    assert username_key("\u212aelvin@example.com") == "\u212aelvin@example.com"  # no folding


def test_timestamps_round_trip_with_milliseconds_in_utc(app):
    moment = datetime(2016, 8, 29, 9, 12, 33, 1000, tzinfo=UTC)
    with app.app_context():
        user = _user(account_created=moment, account_updated=moment)
        db.session.add(user)
        db.session.commit()
        db.session.expire_all()
        loaded = db.session.get(User, user.id)
        assert loaded.account_created == moment
        assert loaded.account_created.tzinfo is UTC


def test_unique_username_key_is_enforced_by_the_database(app):
    with app.app_context():
        db.session.add(_user())
        db.session.commit()
        db.session.add(_user(username="ann@example.com"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_accented_usernames_are_distinct(app):
    # MySQL's default collations would call these equal; the key column is binary.
    with app.app_context():
        db.session.add(_user(username="jose@example.com", username_key="jose@example.com"))
        db.session.add(_user(username="josé@example.com", username_key="josé@example.com"))
        db.session.commit()


def test_deleting_a_user_cascades_to_products(app):
    with app.app_context():
        user = _user()
        db.session.add(user)
        db.session.flush()
        db.session.add(
            Product(
                name="n",
                description="",
                sku="S",
                manufacturer="",
                quantity=1,
                owner_user_id=user.id,
            )
        )
        db.session.commit()
        db.session.delete(user)
        db.session.commit()
        assert db.session.query(Product).count() == 0


# The pattern registration validates usernames with (the only way a row gets a key).
EMAIL_PATTERN = UserCreate.model_fields["username"].metadata[0].pattern


def former_username_key(username: str) -> str:
    """The key function before issue 11 item 13: Unicode folding and stripping."""
    return username.strip().casefold()


@settings(max_examples=500, deadline=None)
@given(st.from_regex(EMAIL_PATTERN, fullmatch=True))
def test_keys_of_every_registrable_username_are_unchanged(username):
    # Registration has only ever accepted ASCII e-mail addresses (the pattern has been
    # ASCII since the first commit), and on ASCII without surrounding whitespace the old
    # and new keys agree: every stored username_key is still the key of its username.
    assert username_key(username) == former_username_key(username)


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=60))
def test_keys_agree_with_ascii_lower_on_ascii(username):
    assert username_key(username) == username.lower()


def test_the_old_key_folded_lookalikes_onto_ascii_accounts():
    # What the new key no longer does (the defect).
    for lookalike, ascii_name in [("\u212aelvin", "kelvin"), ("\u017fam", "sam"),
                                  ("\ufb01sh", "fish"), ("ro\u00df", "ross")]:  # fmt: skip
        assert former_username_key(lookalike) == ascii_name
        assert username_key(lookalike) != ascii_name
