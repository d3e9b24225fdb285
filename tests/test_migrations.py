"""One Alembic history that builds the same schema on SQLite and PostgreSQL, with no drift."""

from __future__ import annotations

import uuid

import pytest
from flask_migrate import check, downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from iok_saas import create_app
from iok_saas.config import REPO_ROOT
from iok_saas.extensions import db
from iok_saas.tenancy import rls, tenant_table_names

MIGRATIONS = str(REPO_ROOT / "migrations")


def _migrate_and_check(url: str, tmp_path) -> set[str]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "IOK_VAR_DIR": tmp_path})
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        check(directory=MIGRATIONS)  # raises when models and migrations disagree
        tables = set(inspect(db.engine).get_table_names())
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:  # every tenant table under forced RLS
                assert rls.tables_without_rls(conn, tenant_table_names()) == []
                assert _policies_reading_settings_per_row(conn) == []
        downgrade(directory=MIGRATIONS, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
    return tables


def _policies_reading_settings_per_row(conn) -> list[str]:
    """Tables whose isolation policy calls current_setting() for each row (not once per
    statement, in a scalar subquery: the form every migration must leave)."""
    rows = conn.execute(text(
        "SELECT tablename, qual, with_check FROM pg_policies WHERE policyname = :name"),
        {"name": rls.POLICY_NAME}).all()
    assert rows
    return sorted(table for table, *expressions in rows
                  if any(e.count("current_setting(") != e.count("( SELECT ") for e in expressions))


def test_migrations_on_sqlite(tmp_path):
    tables = _migrate_and_check(f"sqlite:///{tmp_path / 'm.sqlite3'}", tmp_path)
    assert {"tenant", "tenant_host", "operator", "staff_member"} <= tables


@pytest.mark.postgres
def test_migrations_on_postgresql(postgres_url, tmp_path):
    name = f"iok_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
        tables = _migrate_and_check(url, tmp_path)
        assert {"tenant", "tenant_host", "operator", "staff_member"} <= tables
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
