"""`flask demo …`: fictional demo data and the URLs and logins to try it with."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from .extensions import db
from .modules.audit.services import Actor
from .modules.operator.models import Operator
from .modules.operator.services import create_operator
from .tenancy import admin_url, directory, site_url

demo_cli = AppGroup("demo", help="Demo data for trying the platform locally.")

DEMO_OPERATOR = ("operator@iok.localhost", "Operator Demo", "demo-operator-2026")


@demo_cli.command("load")
def load() -> None:
    """Create the demo operator (idempotent); tenants come from `flask tenants sync`."""
    email, name, password = DEMO_OPERATOR
    if db.session.scalar(select(Operator.id).where(Operator.email == email)) is None:
        create_operator(email, name, password, Actor.cli("demo"))
    click.echo("demo data ready")


@demo_cli.command("urls")
def urls() -> None:
    """Print every URL and demo login."""
    click.echo("\nIOK SaaS demo")
    click.echo(f"  Operator console: {admin_url('operator.index')}")
    click.echo(f"    login: {DEMO_OPERATOR[0]}  password: {DEMO_OPERATOR[2]}")
    for tenant in directory().all():
        click.echo(f"  {tenant.short_name:28} {site_url(tenant.canonical_host, 'site.start')}")
    base = current_app.config["IOK_BASE_DOMAIN"]
    click.echo(f"  Unknown host (platform 404): {site_url(f'nowhere.{base}', 'site.start')}\n")
