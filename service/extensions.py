"""Unbound Flask extensions, kept here so models and the factory avoid import cycles."""

from __future__ import annotations

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Deterministic constraint names, so migrations name the same objects on
# every database (Alembic cannot drop an unnamed constraint on MySQL).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose metadata carries the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# expire_on_commit=False: a session lives for one request, so after a write's COMMIT the
# objects it just wrote are current; expiring them made every 201 response read its row
# back (one more round trip) only to serialise values the request had just sent.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def init_migrate(app: Flask) -> None:
    """Attach Flask-Migrate; imported lazily because alembic costs ~300 ms at cold start."""
    from flask_migrate import Migrate

    Migrate(app, db, directory=str(app.config["MIGRATIONS_DIR"]))
