"""Every `flask …` command group of the platform."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import text

from .demo import demo_cli
from .extensions import db
from .features import load_features
from .policy import policy_cli
from .tenancy import rls, tenant_table_names


def register_cli(app: Flask) -> None:
    """The platform's command groups, then every feature's (iok_saas.features)."""
    for group in (policy_cli, demo_cli, security_cli):
        app.cli.add_command(group)
    for _feature, group in load_features().each("cli"):
        app.cli.add_command(group)


security_cli = AppGroup("security", help="PostgreSQL roles and row-level security.")


@security_cli.command("grant-app-role")
@click.argument("role")
def grant_app_role(role: str) -> None:
    """Give ROLE (which owns no table) data access to today's and future tables.

    Run as the schema owner (IOK_DATABASE_URL pointing at the owner for this command)."""
    with db.engine.begin() as conn:
        _require_postgres(conn)
        for statement in rls.grant_statements(role):
            conn.execute(text(statement))
    click.echo(f"granted data access to {role}")


@security_cli.command("check")
def check() -> None:
    """Fail unless every tenant table is under forced row-level security and the app's role
    can neither own tables nor bypass RLS."""
    with db.engine.connect() as conn:
        _require_postgres(conn)
        missing = rls.tables_without_rls(conn, tenant_table_names())
        superuser, bypass = conn.execute(text(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
        owned = conn.scalar(text("SELECT count(*) FROM pg_tables WHERE tableowner = "
                                 "current_user"))
    problems = [f"table without forced RLS: {name}" for name in missing]
    if superuser or bypass:
        problems.append("the app's role is a superuser or has BYPASSRLS")
    if owned:
        problems.append(f"the app's role owns {owned} table(s); RLS is not forced on owners "
                        "that are superusers and owners can disable it")
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"row-level security in force on {len(tenant_table_names())} tenant tables")


def _require_postgres(conn) -> None:
    if conn.dialect.name != "postgresql":
        raise click.ClickException("row-level security needs PostgreSQL "
                                   f"(this database is {conn.dialect.name})")
