"""`flask operators create`: operator accounts exist only through the CLI."""

from __future__ import annotations

import getpass

import click
from flask.cli import AppGroup

from iok_saas.modules.audit.services import Actor

from .services import OperatorError, create_operator

operators_cli = AppGroup("operators", help="Platform operator accounts.")


@operators_cli.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--password", envvar="IOK_OPERATOR_PASSWORD", prompt=True, hide_input=True,
              confirmation_prompt=True, help="Or set IOK_OPERATOR_PASSWORD.")
def create(email: str, name: str, password: str) -> None:
    try:
        operator = create_operator(email, name, password, Actor.cli(getpass.getuser()))
    except OperatorError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"operator {operator.email} created")
