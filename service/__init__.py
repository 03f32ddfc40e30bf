"""Inventory API: ``create_app`` wires config, extensions, blueprints and error handlers."""

from __future__ import annotations

from service.gcpause import collector_paused

with collector_paused():  # the imports' objects live as long as the process
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Any

    import click
    from flask import Flask

    from service import auth, observability, response_headers, storage
    from service.config import from_env
    from service.db import configure_database, register_engine_events
    from service.errors import register_error_handlers
    from service.extensions import db, init_migrate
    from service.routing import CONVERTERS
    from service.stage import StagePrefixMiddleware

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from environment variables, overridden by ``config`` (tests)."""
    app = Flask(__name__, static_folder=None)
    app.wsgi_app = StagePrefixMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    app.config.from_mapping(from_env(), MIGRATIONS_DIR=MIGRATIONS_DIR)
    app.config.from_mapping(config or {})
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.mimetype = "application/json; charset=utf-8"  # type: ignore[attr-defined]
    app.url_map.converters.update(CONVERTERS)
    app.url_map.merge_slashes = False  # "/v1//product/1": 404, not a 308 with an HTML body

    observability.init_app(app)
    configure_database(app)
    db.init_app(app)
    register_engine_events(app)
    storage.init_app(app)
    auth.init_app(app)
    register_error_handlers(app)
    response_headers.init_app(app)

    from service.api import blueprints, local_store_blueprints

    local_store = isinstance(app.extensions["image_store"], storage.LocalImageStore)
    for blueprint in blueprints + (local_store_blueprints if local_store else ()):
        app.register_blueprint(blueprint)
    # `flask db ...` needs Flask-Migrate; the Lambda handler must not pay for alembic.
    if click.get_current_context(silent=True) is not None:
        init_migrate(app)
    return app
