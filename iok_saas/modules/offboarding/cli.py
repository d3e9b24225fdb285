"""`flask offboarding …`: export, schedule or cancel deletion, purge, restore."""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from flask.cli import AppGroup

from iok_saas.modules.audit.services import Actor
from iok_saas.timeutil import local, utcnow

from . import services

offboarding_cli = AppGroup("offboarding", help="Export a tenant's data, delete it after a "
                           "grace period, restore an export into a new tenant.")


def _actor() -> Actor:
    return Actor.cli(getpass.getuser())


def _fail(exc: services.OffboardingError):
    for line in exc.precise:
        click.echo(line, err=True)
    raise SystemExit(1)


@offboarding_cli.command("export")
@click.argument("slug")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Archive file (default: <slug>-<UTC time>.zip here).")
def export(slug: str, output: Path | None) -> None:
    """Write every table and uploaded file of a tenant to one zip archive."""
    output = output or Path(f"{slug}-{utcnow():%Y%m%dT%H%M%SZ}.zip")
    try:
        report = services.export_tenant(slug, output, _actor())
    except services.OffboardingError as exc:
        _fail(exc)
    click.echo(f"{output}: {len(report.entries)} files, {sum(report.rows.values())} rows")


@offboarding_cli.command("restore")
@click.argument("archive", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--slug", required=True, help="The new tenant's slug.")
def restore(archive: Path, slug: str) -> None:
    """Create tenant SLUG from an export archive (checksums are verified first)."""
    try:
        report = services.restore_tenant(archive, slug, _actor())
    except services.OffboardingError as exc:
        _fail(exc)
    click.echo(f"restored {slug}: {sum(report.rows.values())} rows, {report.files} files")


@offboarding_cli.command("schedule")
@click.argument("slug")
@click.option("--days", type=click.IntRange(min=0), default=None,
              help="Grace period (default IOK_OFFBOARDING_GRACE_DAYS, 30).")
def schedule(slug: str, days: int | None) -> None:
    """Suspend a tenant and schedule the deletion of its data."""
    try:
        tenant = services.schedule_deletion(slug, _actor(), days=days)
    except services.OffboardingError as exc:
        _fail(exc)
    due = local(tenant.deletion_due)
    click.echo(f"{slug}: suspended, deleted on or after {due:%Y-%m-%d %H:%M}")


@offboarding_cli.command("cancel")
@click.argument("slug")
def cancel(slug: str) -> None:
    """Cancel a scheduled deletion; the tenant serves again."""
    try:
        services.cancel_deletion(slug, _actor())
    except services.OffboardingError as exc:
        _fail(exc)
    click.echo(f"{slug}: deletion cancelled, active")


@offboarding_cli.command("purge")
def purge() -> None:
    """Delete every tenant whose deletion date has passed."""
    reports = services.purge_due(_actor())
    for report in reports:
        click.echo(f"purged {report.slug}: {sum(report.rows.values())} rows, "
                   f"{report.files} files")
    if not reports:
        click.echo("nothing due")
