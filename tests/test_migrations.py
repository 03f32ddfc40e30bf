"""Migrations: one head, up and down on both databases, and no drift from the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from service import MIGRATIONS_DIR, create_app
from service.extensions import db, init_migrate
from tests.support.databases import mysql_url


def _script():
    from alembic.config import Config

    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def test_there_is_exactly_one_head():
    assert len(_script().get_heads()) == 1


@pytest.fixture(params=["sqlite", "mariadb"])
def empty_url(request, tmp_path, mysql_database):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return mysql_url(mysql_database("test_mig"))


def _run(url, command, *args):
    import flask_migrate

    app = create_app({"DATABASE_URL": url})
    init_migrate(app)
    with app.app_context():
        getattr(flask_migrate, command)(*args)
        db.engine.dispose()


def _tables(url):
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_to_head_and_back_to_base(empty_url):
    _run(empty_url, "upgrade")
    assert _tables(empty_url) == {"alembic_version", "users", "products", "product_images"}
    _run(empty_url, "downgrade", None, "base")
    assert _tables(empty_url) == {"alembic_version"}
    _run(empty_url, "upgrade")  # and up again: downgrade left nothing behind
    assert "users" in _tables(empty_url)


def test_models_and_migrations_agree(empty_url):
    _run(empty_url, "upgrade")
    engine = create_engine(empty_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
    finally:
        engine.dispose()
