"""`flask imports …`: load a file from the accounting system into one tenant."""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from flask.cli import AppGroup

from iok_saas.extensions import db
from iok_saas.tenancy import directory, tenant_scope

from . import services
from .formats import DATASETS, ORDER
from .models import APPLIED, CHECKED

imports_cli = AppGroup("imports", help="Import data from the manager's accounting system.")


def _fail(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)
    raise SystemExit(1)


@imports_cli.command("load")
@click.option("--tenant", "slug", required=True, help="The cooperative's slug, e.g. brzeg.")
@click.option("--dataset", type=click.Choice(ORDER),
              help="The dataset of a CSV file (default: the file's name, e.g. ledger.csv); "
                   "for a JSON file, the dataset of a bare list of rows.")
@click.option("--dry-run", is_flag=True, help="Validate and count, write nothing.")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
def load(slug: str, dataset: str | None, dry_run: bool, file: Path) -> None:
    """Import FILE (.csv with one dataset, or .json) into one tenant, all or nothing."""
    tenant = next((t for t in directory().all() if t.slug == slug), None)
    if tenant is None:
        _fail([f"unknown tenant '{slug}'; known: "
               f"{', '.join(t.slug for t in directory().all()) or 'none'}"])
    file_format = "json" if file.suffix.lower() == ".json" else "csv"
    if file_format == "csv" and dataset is None:
        dataset = file.stem if file.stem in DATASETS else None
        if dataset is None:
            _fail([f"{file}: name the dataset of this CSV file with --dataset "
                   f"({', '.join(ORDER)}), or name the file after it (e.g. ledger.csv)"])
    with tenant_scope(tenant):
        run = services.import_file(file, file_format, dataset, source="cli",
                                   actor=f"cli:{getpass.getuser()}", dry_run=dry_run)
        report = services.run_as_dict(run)
        run_id, status = run.id, run.status
        db.session.commit()  # the run is recorded, a rejected one too
    for name, counts in report["datasets"].items():
        click.echo(f"{name}: {counts['total']} rows: {counts['created']} to create, "
                   f"{counts['updated']} to update, {counts['unchanged']} unchanged"
                   if status != APPLIED else
                   f"{name}: {counts['total']} rows: {counts['created']} created, "
                   f"{counts['updated']} updated, {counts['unchanged']} unchanged")
    if status == APPLIED:
        click.echo(f"import #{run_id} applied")
    elif status == CHECKED:
        click.echo(f"dry run #{run_id}: no errors; nothing was written")
    else:
        lines = [f"{file}: {services.describe_error(e, file_format)}" for e in report["errors"]]
        hidden = report["errors_total"] - len(report["errors"])
        if hidden > 0:
            lines.append(f"… and {hidden} more error(s)")
        lines.append(f"import #{run_id} rejected: {report['errors_total']} error(s); "
                     f"nothing was written")
        _fail(lines)


@imports_cli.command("expire-previews")
def expire_previews() -> None:
    """Delete previewed uploads nobody applied within IOK_IMPORT_PREVIEW_HOURS (for cron)."""
    removed = services.expire_previews()
    click.echo(f"{removed} expired preview file(s) deleted")
