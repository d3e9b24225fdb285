"""`flask notices …`: publish a period's charge notices and send them (as staff do)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from iok_saas.extensions import db
from iok_saas.tenancy import directory, tenant_scope

from . import services, supplied, tasks

notices_cli = AppGroup("notices", help="Paperless charge notices.")


@notices_cli.command("publish")
@click.option("--tenant", "slug", required=True, help="The cooperative's slug, e.g. kuzniki.")
@click.argument("period")
def publish(slug: str, period: str) -> None:
    """Publish the notices of PERIOD (YYYY-MM) and e-mail them to consenting residents."""
    tenant = next((t for t in directory().all() if t.slug == slug), None)
    if tenant is None:
        raise click.ClickException(f"unknown tenant '{slug}'")
    try:
        month = date.fromisoformat(f"{period}-01")
    except ValueError:
        raise click.ClickException(f"not a period: '{period}' (use YYYY-MM, e.g. 2027-01)") \
            from None
    if tenant.policy is None or not tenant.policy.shows("charge_notices"):
        raise click.ClickException(f"{slug}'s policy does not show charge_notices")
    with tenant_scope(tenant):
        try:
            pending = services.publish(month, "cli:notices")
        except services.NoticesError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        db.session.commit()
        tasks.enqueue(tenant.id, pending)
    click.echo(f"published {period} for {slug}: {len(pending)} e-mails to send")


@notices_cli.command("load-pdfs")
@click.option("--tenant", "slug", required=True, help="The cooperative's slug, e.g. kuzniki.")
@click.argument("period")
@click.argument("archive", type=click.File("rb"))
def load_pdfs(slug: str, period: str, archive) -> None:
    """Load PERIOD's (YYYY-MM) notices as ready PDFs: ARCHIVE is a ZIP of one PDF per unit,
    each named by the unit's external id (U-1.pdf). One bad file and nothing is written."""
    tenant = next((t for t in directory().all() if t.slug == slug), None)
    if tenant is None:
        raise click.ClickException(f"unknown tenant '{slug}'")
    if tenant.policy is None or not tenant.policy.shows("charge_notices"):
        raise click.ClickException(f"{slug}'s policy does not show charge_notices")
    with tenant_scope(tenant):
        try:
            loaded = supplied.load_bundle(period, archive, "cli:notices")
        except supplied.BundleRejected as exc:
            db.session.rollback()
            raise click.ClickException("nothing written:\n" + "\n".join(
                str(problem) for problem in exc.problems)) from None
        db.session.commit()
    click.echo(f"loaded {loaded.files} PDFs of {period} for {slug}: {loaded.created} new, "
               f"{loaded.replaced} replaced, {loaded.unchanged} unchanged")
