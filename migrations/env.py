"""Alembic environment: runs inside the Flask app, on the app's engine and metadata."""

import logging
import os
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import create_engine

from iok_saas.extensions import UtcDateTime

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("alembic.env")
if os.environ.get("IOK_MIGRATIONS_QUIET"):  # `make demo`: one line per migration is noise
    logging.getLogger("alembic").setLevel(logging.WARNING)

database = current_app.extensions["migrate"].db
migrate_options = current_app.extensions["migrate"].configure_args


def _skip_empty_revision(ctx, revision, directives):
    """`flask db migrate` with no model change writes no empty file."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("no changes in schema detected")


def _render_item(type_, obj, _autogen_context):
    """Write the app's UtcDateTime as the plain column type it stores."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_offline() -> None:
    context.configure(url=database.engine.url, target_metadata=database.metadata,
                      literal_binds=True, **migrate_options)
    with context.begin_transaction():
        context.run_migrations()


def _owner_engine():
    """Migrations run as the schema owner; the app's own role may not change the schema."""
    owner_url = current_app.config.get("IOK_MIGRATION_DATABASE_URL")
    return create_engine(owner_url) if owner_url else database.engine


def run_online() -> None:
    options = dict(migrate_options)
    options.setdefault("process_revision_directives", _skip_empty_revision)
    options.setdefault("render_item", _render_item)
    with _owner_engine().connect() as connection:
        context.configure(connection=connection, target_metadata=database.metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
