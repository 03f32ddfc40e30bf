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


db = SQLAlchemy(model_class=Base)


def init_migrate(app: Flask) -> None:
    """Attach Flask-Migrate; imported lazily because alembic costs ~300 ms at cold start."""
    from flask_migrate import Migrate

    directory = str(app.config["MIGRATIONS_DIR"])
    Migrate(app, db, directory=directory, render_as_batch=True, compare_type=True)
