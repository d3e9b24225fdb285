"""``flask policy check [FILE...]``: validate policy files for CI and operators."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app, has_app_context

from .loader import check_paths

REPO_POLICIES = Path(__file__).resolve().parents[2] / "policies"


def default_presets_dir() -> Path:
    """The app's IOK_POLICIES_DIR inside an app context, else the repository's policies/."""
    if has_app_context():
        return Path(current_app.config.get("IOK_POLICIES_DIR", REPO_POLICIES))
    return REPO_POLICIES


@click.group(name="policy")
def policy_cli() -> None:
    """Tenant policy files."""


@policy_cli.command("check")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--presets-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder that `extends: <name>` looks in (default: the policies folder).",
)
def check_command(files: tuple[Path, ...], presets_dir: Path | None) -> None:
    """Validate FILES (default: every *.yaml in the presets folder).

    Prints 'OK <file>' or the file's errors, then notes such as password-floor waivers.
    Exits with 1 when any file is invalid.
    """
    presets = presets_dir if presets_dir is not None else default_presets_dir()
    paths = list(files) or sorted(presets.glob("*.yaml"))
    if not paths:
        raise click.ClickException(f"no policy files in {presets}")
    report = check_paths(paths, presets)
    for line in report.lines:
        click.echo(line)
    raise SystemExit(0 if report.ok else 1)


if __name__ == "__main__":
    policy_cli(prog_name="policy")
