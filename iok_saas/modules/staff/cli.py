"""`flask staff …`: a tenant's first staff administrator from the command line (the operator
console does the same)."""

from __future__ import annotations

import getpass

import click
from flask.cli import AppGroup

from iok_saas.modules.audit.services import Actor
from iok_saas.tenancy import directory

from .services import StaffError, create_first_admin

staff_cli = AppGroup("staff", help="Staff accounts of a tenant.")


@staff_cli.command("create-admin")
@click.argument("slug")
@click.argument("login")
@click.option("--name", "full_name", required=True, help="The administrator's full name.")
@click.option("--department", required=True, help="A department key of the manifest.")
@click.option("--email", default=None, help="The administrator's e-mail (optional).")
def create_admin(slug: str, login: str, full_name: str, department: str,
                 email: str | None) -> None:
    """Create a tenant's first staff administrator; prints a one-time password once."""
    tenant = next((t for t in directory().all() if t.slug == slug), None)
    if tenant is None:
        raise click.ClickException(f"no tenant with slug '{slug}'")
    try:
        member, password = create_first_admin(tenant, login, full_name, email, department,
                                              Actor.cli(getpass.getuser()))
    except StaffError as exc:
        raise click.ClickException(f"{exc.field}: {exc}") from None
    click.echo(f"created staff administrator {member.login} at {slug}; one-time password "
               f"(shown once, change at first login): {password}")
