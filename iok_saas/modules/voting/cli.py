"""`flask voting verify`: check every vote's hash chain and ballots against its events."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from iok_saas.extensions import db
from iok_saas.tenancy import directory, tenant_scope

from . import services

voting_cli = AppGroup("voting", help="Votes on resolutions.")


@voting_cli.command("verify")
@click.option("--tenant", "slug", default=None, help="Only this tenant (slug).")
def verify(slug: str | None) -> None:
    """Exit 1 when any vote's events were altered, removed or disagree with its ballots."""
    problems, votes = [], 0
    tenants = [t for t in directory().all() if slug is None or t.slug == slug]
    if slug is not None and not tenants:
        raise click.ClickException(f"no tenant {slug!r}")
    for tenant in tenants:
        with tenant_scope(tenant):
            for vote in services.all_votes():
                votes += 1
                for problem in services.verify(vote):
                    seq = f" event {problem.seq}" if problem.seq is not None else ""
                    problems.append(f"{tenant.slug}: vote {problem.vote_id}{seq}: "
                                    f"{problem.problem}")
            db.session.rollback()
    for line in problems:
        click.echo(line)
    if problems:
        raise SystemExit(1)
    click.echo(f"OK: {votes} votes, every chain intact")
