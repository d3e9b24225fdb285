"""Every `flask …` command group of the platform."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    from .demo import demo_cli
    from .modules.imports.cli import imports_cli
    from .modules.operator.cli import operators_cli
    from .modules.tenants.cli import tenants_cli
    from .policy import policy_cli

    for group in (tenants_cli, operators_cli, policy_cli, demo_cli, imports_cli):
        app.cli.add_command(group)
