"""Alembic environment for Flask-Migrate (`flask --app service db ...`) and the migration job.

The job passes its own connection (holding the migration lock) in
``config.attributes["connection"]``; the Flask CLI uses the app's engine.
"""

import logging
from logging.config import fileConfig

from alembic import context

import service.models  # noqa: F401  (registers the tables on the metadata)
from service.extensions import db

config = context.config

# The migration job configures its own (JSON) logging and says so.
if config.config_file_name and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

# Same options for the CLI and the job, so autogenerate and upgrades agree.
CONFIGURE_ARGS = {"compare_type": True, "render_as_batch": True}


def process_revision_directives(context, revision, directives):
    """Do not write an empty revision when autogenerate finds no change."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations(connection):
    """Run the migrations on one connection, in one transaction where the database allows."""
    context.configure(
        connection=connection,
        target_metadata=db.metadata,
        process_revision_directives=process_revision_directives,
        **CONFIGURE_ARGS,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported: run them against a database.")
if (connection := config.attributes.get("connection")) is not None:
    run_migrations(connection)
else:
    with db.engine.connect() as connection:
        run_migrations(connection)
