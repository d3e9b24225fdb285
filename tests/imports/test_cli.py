"""`flask imports load`: English errors and a non-zero exit when the file is rejected."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.modules.ledger.models import LedgerEntry
from iok_saas.tenancy import tenant_scope

from ..factories import tenant
from .conftest import LEDGER_CSV, housing_document, load_housing


def ledger_count(slug: str) -> int:
    with tenant_scope(tenant(slug)):
        return db.session.scalar(select(func.count()).select_from(LedgerEntry))


def test_load_json_then_csv_and_a_dry_run(synced, ctx, tmp_path):
    runner = synced.test_cli_runner()
    housing = tmp_path / "housing.json"
    housing.write_text(json.dumps(housing_document()))
    result = runner.invoke(args=["imports", "load", "--tenant", "brzeg", str(housing)])
    assert result.exit_code == 0, result.output
    assert "units: 2 rows: 2 created, 0 updated, 0 unchanged" in result.output
    ledger = tmp_path / "ledger.csv"  # the dataset comes from the file's name
    ledger.write_text(LEDGER_CSV)
    result = runner.invoke(args=["imports", "load", "--tenant", "brzeg", "--dry-run",
                                 str(ledger)])
    assert result.exit_code == 0, result.output
    assert "4 to create" in result.output and "nothing was written" in result.output
    assert ledger_count("brzeg") == 0
    result = runner.invoke(args=["imports", "load", "--tenant", "brzeg", str(ledger)])
    assert result.exit_code == 0 and "applied" in result.output
    assert ledger_count("brzeg") == 4


def test_a_rejected_file_exits_non_zero_with_line_numbers(synced, ctx, tmp_path):
    runner = synced.test_cli_runner()
    load_housing("gdynia")
    bad = tmp_path / "export.csv"
    bad.write_text(LEDGER_CSV + "L5,U1,2025-02-10,2025-02,payment,,Wpłata,25,00\n")
    result = runner.invoke(args=["imports", "load", "--tenant", "gdynia", "--dataset",
                                 "ledger", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: [ledger] line 6 expected 8 values as in the header, found 9" \
        in result.output
    assert "rejected: 1 error(s); nothing was written" in result.output
    assert ledger_count("gdynia") == 0


def test_usage_mistakes_are_explained(synced, ctx, tmp_path):
    runner = synced.test_cli_runner()
    export = tmp_path / "export.csv"
    export.write_text(LEDGER_CSV)
    result = runner.invoke(args=["imports", "load", "--tenant", "nowhere", str(export)])
    assert result.exit_code == 1 and "unknown tenant 'nowhere'" in result.output
    result = runner.invoke(args=["imports", "load", "--tenant", "brzeg", str(export)])
    assert result.exit_code == 1 and "--dataset" in result.output
