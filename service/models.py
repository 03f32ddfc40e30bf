"""Database models: users, their products and the products' images."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from typing import Any

import bcrypt
from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, TypeDecorator
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.dates import utcnow
from service.extensions import db

# SQLite only auto-increments INTEGER PRIMARY KEY; MySQL gets a BIGINT.
Id = BigInteger().with_variant(Integer(), "sqlite")


def key_string(length: int) -> String:
    """A string compared byte for byte: unique keys are normalised in Python.

    MySQL's default collations are accent-insensitive, so "josé" and "jose"
    would collide in a unique index; the binary collation avoids that.
    """
    binary = mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin")
    return String(length).with_variant(binary, "mysql", "mariadb")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC with millisecond precision, returns aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=3))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


TABLE_OPTIONS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def username_key(username: str) -> str:
    """The identity of a username (e-mail): case-insensitive in ASCII only.

    No Unicode folding and no stripping: ``casefold()`` would let the Kelvin sign,
    U+017F (long s) or U+FB01 (fi) name an ASCII account, and ``strip()`` drops
    U+001C-U+001F and U+3000.
    Registration only accepts ASCII addresses, for which this equals the former
    ``strip().casefold()``: stored keys need no migration (tests/unit/test_models.py).
    """
    return username.translate(_ASCII_LOWER)


def hash_password(password: str, rounds: int) -> str:
    """A bcrypt hash of a password (the caller has checked its 72-byte limit)."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def password_matches(password_hash: str, password: str) -> bool:
    """True if ``password`` matches a stored bcrypt hash (~60 ms at cost 10)."""
    try:
        return bcrypt.checkpw(password.encode(), password_hash.encode())
    except ValueError:  # over 72 bytes: bcrypt 5 refuses rather than truncates
        return False


class User(db.Model):  # type: ignore[name-defined,misc]
    """An API user; the username is an e-mail address."""

    __tablename__ = "users"
    __table_args__ = TABLE_OPTIONS

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(254))
    username_key: Mapped[str] = mapped_column(key_string(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(60))
    first_name: Mapped[str] = mapped_column(String(255))
    last_name: Mapped[str] = mapped_column(String(255))
    account_created: Mapped[datetime] = mapped_column(UTCDateTime)
    account_updated: Mapped[datetime] = mapped_column(UTCDateTime)

    def __init__(self, **kwargs: Any) -> None:
        # One clock reading, so a new account's two timestamps are equal.
        now = utcnow()
        super().__init__(**{"account_created": now, "account_updated": now, **kwargs})

    def set_password(self, password: str, rounds: int) -> None:
        """Hash and store a password (the caller has checked its 72-byte limit)."""
        self.password_hash = hash_password(password, rounds)


class Product(db.Model):  # type: ignore[name-defined,misc]
    """A product owned by the user who created it."""

    __tablename__ = "products"
    __table_args__ = TABLE_OPTIONS

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(255))
    sku: Mapped[str] = mapped_column(key_string(255), unique=True)
    manufacturer: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    date_added: Mapped[datetime] = mapped_column(UTCDateTime)
    date_last_updated: Mapped[datetime] = mapped_column(UTCDateTime)
    owner_user_id: Mapped[int] = mapped_column(
        Id, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )

    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product", passive_deletes=True, order_by="ProductImage.id"
    )

    def __init__(self, **kwargs: Any) -> None:
        now = utcnow()  # one clock reading for both timestamps
        super().__init__(**{"date_added": now, "date_last_updated": now, **kwargs})


class ProductImage(db.Model):  # type: ignore[name-defined,misc]
    """An image of a product; the bytes live in the image store under ``object_key``."""

    __tablename__ = "product_images"
    __table_args__ = TABLE_OPTIONS

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    product_id: Mapped[int] = mapped_column(
        Id, ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(255))
    object_key: Mapped[str] = mapped_column(String(512), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    date_created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship(back_populates="images")
