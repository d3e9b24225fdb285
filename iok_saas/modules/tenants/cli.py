"""`flask tenants …`: the operator's tenant actions from the command line."""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from iok_saas.extensions import db
from iok_saas.modules.audit.services import Actor
from iok_saas.tenancy import ACTIVE, SUSPENDED, directory

from . import services
from .manifest import ManifestError, load_manifest

tenants_cli = AppGroup("tenants", help="List, sync, create, suspend and resume tenants; "
                       "create a tenant's first staff administrator.")


def _actor() -> Actor:
    return Actor.cli(getpass.getuser())


def _fail(messages: list[str]) -> None:
    for line in messages:
        click.echo(line, err=True)
    raise SystemExit(1)


@tenants_cli.command("sync")
@click.option("--tenants-dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--policies-dir", type=click.Path(path_type=Path, file_okay=False))
def sync(tenants_dir: Path | None, policies_dir: Path | None) -> None:
    """Load tenants/ and policies/ into the database (idempotent)."""
    config = current_app.config
    try:
        report = services.sync_from_files(tenants_dir or config["IOK_TENANTS_DIR"],
                                          policies_dir or config["IOK_POLICIES_DIR"], _actor())
    except (ManifestError, services.TenantChangeError) as exc:
        _fail(["nothing was changed:", *exc.messages])
    # Stored even when a policy is broken: that tenant answers its configuration-error page,
    # the others go on, and the exit status below tells the operator.
    db.session.commit()
    click.echo(f"created: {', '.join(report.created) or '-'}; "
               f"updated: {', '.join(report.updated) or '-'}; "
               f"unchanged: {', '.join(report.unchanged) or '-'}")
    if report.invalid_policies:
        lines = [f"tenant '{slug}' answers a configuration-error page until its policy is fixed:"
                 f"\n  " + "\n  ".join(problems)
                 for slug, problems in report.invalid_policies.items()]
        _fail(lines)


@tenants_cli.command("list")
def list_tenants() -> None:
    for tenant in directory().all():
        flags = [tenant.status] + (["POLICY-ERROR"] if tenant.misconfigured else [])
        click.echo(f"{tenant.slug:20} {','.join(flags):22} {' '.join(tenant.hosts)}")


@tenants_cli.command("create")
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--policy", "policy_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Policy YAML (default: policies/<manifest policy>.yaml).")
def create(manifest: Path, policy_file: Path | None) -> None:
    """Onboard a tenant from a manifest file."""
    try:
        parsed = load_manifest(manifest)
        policies_dir = current_app.config["IOK_POLICIES_DIR"]
        policy_file = policy_file or policies_dir / f"{parsed.policy}.yaml"
        if not policy_file.is_file():
            _fail([f"{policy_file}: no such policy file"])
        tenant = services.create_tenant(parsed, policy_file.read_text(encoding="utf-8"), _actor())
    except (ManifestError, services.TenantChangeError) as exc:
        _fail(exc.messages)
    click.echo(f"created tenant {tenant.slug}")


def _status_command(name: str, status: str, verb: str):
    answer = ("its hosts answer 503 until it is resumed" if status == SUSPENDED
              else "its hosts serve again")

    @tenants_cli.command(name, help=f"{verb.capitalize()} a tenant ({answer}).")
    @click.argument("slug")
    @click.option("--reason", required=True)
    def command(slug: str, reason: str) -> None:
        try:
            services.set_status(slug, status, _actor(), reason)
        except services.TenantChangeError as exc:
            _fail(exc.messages)
        click.echo(f"{slug}: {status}")

    return command


suspend = _status_command("suspend", SUSPENDED, "suspend")
resume = _status_command("resume", ACTIVE, "resume")
