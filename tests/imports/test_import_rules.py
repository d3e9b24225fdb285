"""The import itself: all or nothing, idempotent, exact, the same through CSV and JSON."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.modules.housing.models import Unit
from iok_saas.modules.imports.models import ImportRun
from iok_saas.modules.ledger.models import LedgerEntry
from iok_saas.modules.meters.models import MeterReading
from iok_saas.tenancy import tenant_scope

from ..factories import tenant
from .conftest import (
    ASSOCIATIONS_CSV,
    LEDGER_CSV,
    UNITS_CSV,
    housing_document,
    ledger_rows,
    load_csv,
    load_json,
)


def ledger_state(slug: str) -> list[tuple]:
    with tenant_scope(tenant(slug)):
        query = (select(LedgerEntry.external_id, Unit.external_id, LedgerEntry.booking_date,
                        LedgerEntry.period, LedgerEntry.kind, LedgerEntry.component,
                        LedgerEntry.title, LedgerEntry.amount)
                 .join(Unit, Unit.id == LedgerEntry.unit_id).order_by(LedgerEntry.external_id))
        return [tuple(row) for row in db.session.execute(query)]


def test_one_bad_row_changes_nothing_and_every_bad_row_is_listed(housing):
    bad = LEDGER_CSV + (
        "L5,U1,2025-02-10,2025-02,payment,,Wpłata,25.00\n"      # line 6: a positive payment
        "L6,U9,2025-02-31,2025-13,charge,,Opłata,1.005\n"       # line 7: four problems
    )
    report = load_csv(housing, "ledger", bad)
    assert report["status"] == "rejected"
    where = {(e["row"], e["field"]) for e in report["errors"]}
    assert where == {(6, "amount"), (7, "unit"), (7, "booking_date"), (7, "period"),
                     (7, "amount")}
    assert any("payment must be negative" in e["message"] for e in report["errors"])
    assert any("'U9'" in e["message"] for e in report["errors"])
    assert ledger_state(housing) == []  # the four good rows were not written either
    with tenant_scope(tenant(housing)):
        run = db.session.get(ImportRun, report["id"])
        assert run.status == "rejected" and run.errors_total == 5
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.subject_type == "ImportRun", AuditEvent.subject_id == run.id)) \
            == "import.rejected"


def test_the_same_file_twice_changes_nothing_the_second_time(housing):
    first = load_csv(housing, "ledger", LEDGER_CSV)
    assert first["status"] == "applied"
    assert first["rows"] == {"total": 4, "created": 4, "updated": 0, "unchanged": 0}
    before = ledger_state(housing)
    second = load_csv(housing, "ledger", LEDGER_CSV)
    assert second["status"] == "applied"
    assert second["rows"] == {"total": 4, "created": 0, "updated": 0, "unchanged": 4}
    assert ledger_state(housing) == before


def test_a_changed_row_is_updated_in_place(housing):
    load_csv(housing, "ledger", LEDGER_CSV)
    changed = LEDGER_CSV.replace("412.30", "415.00")
    report = load_csv(housing, "ledger", changed)
    assert report["rows"] == {"total": 4, "created": 0, "updated": 1, "unchanged": 3}
    assert [r[7] for r in ledger_state(housing) if r[0] == "L3"] == [Decimal("415.00")]
    with tenant_scope(tenant(housing)):
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 4


def test_csv_and_json_give_the_same_rows(synced, ctx):
    load_csv("brzeg", "associations", ASSOCIATIONS_CSV)
    load_csv("brzeg", "units", UNITS_CSV)
    load_csv("brzeg", "ledger", LEDGER_CSV)
    document = housing_document()
    document["datasets"]["ledger"] = ledger_rows()
    report = load_json("gdynia", document)
    assert report["status"] == "applied", report["errors"]
    assert ledger_state("gdynia") == ledger_state("brzeg")
    # and the JSON form of the same data changes nothing where the CSV went in
    again = load_json("brzeg", document)
    assert again["rows"]["unchanged"] == again["rows"]["total"] == 7


def test_decimals_are_stored_exactly(housing):
    load_csv(housing, "ledger", LEDGER_CSV)
    with tenant_scope(tenant(housing)):
        u1 = db.session.scalar(select(Unit.id).where(Unit.external_id == "U1"))
        total = db.session.scalar(select(func.sum(LedgerEntry.amount))
                                  .where(LedgerEntry.unit_id == u1))
        assert Decimal(total) == Decimal("0.30")
        amounts = db.session.scalars(select(LedgerEntry.amount)
                                     .where(LedgerEntry.unit_id == u1)).all()
        assert sorted(amounts) == [Decimal("0.10"), Decimal("0.20")]


def test_three_decimal_places_are_refused_not_rounded(housing):
    report = load_json(housing, [dict(ledger_rows()[0], amount="0.105")], dataset="ledger")
    assert report["status"] == "rejected"
    assert report["errors"] == [{"dataset": "ledger", "row": 0, "field": "amount",
                                 "code": "decimal_places",
                                 "message": "At most 2 decimal places are allowed.",
                                 "params": {"places": 2}}]


def test_bank_account_with_spaces_is_stored_as_digits_and_kind_defaults(housing):
    with tenant_scope(tenant(housing)):
        units = {u.external_id: u for u in db.session.scalars(select(Unit))}
    assert units["U1"].bank_account == "12" + "1020" * 6
    assert units["U2"].kind == "residential" and units["U2"].bank_account is None
    report = load_json(housing, [dict(housing_document()["datasets"]["units"][1],
                                      bank_account="12 34", kind="shop")], dataset="units")
    assert {e["field"] for e in report["errors"]} == {"bank_account", "kind"}


def test_references_within_one_document_and_unknown_ones(synced, ctx):
    document = housing_document()
    document["datasets"]["meters"] = [
        {"external_id": "M1", "unit": "U1", "serial_number": "WM-1", "kind": "cold_water"},
        {"external_id": "M2", "unit": "U7", "serial_number": "WM-2", "kind": "steam"}]
    report = load_json("siarkowiec", document)
    assert report["status"] == "rejected"
    assert [(e["dataset"], e["row"], e["field"]) for e in report["errors"]] == [
        ("meters", 1, "kind"), ("meters", 1, "unit")]
    del document["datasets"]["meters"][1]
    document["datasets"]["readings"] = [
        {"external_id": "R1", "meter": "M1", "read_on": "2025-01-31", "value": "12.345"}]
    report = load_json("siarkowiec", document)
    assert report["status"] == "applied", report["errors"]
    with tenant_scope(tenant("siarkowiec")):
        reading = db.session.scalar(select(MeterReading))
        assert (reading.value, reading.source, reading.state) == \
            (Decimal("12.345"), "manager", "accepted")


def test_unknown_fields_and_repeated_ids_are_row_errors(housing):
    rows = ledger_rows()
    rows[1]["colour"] = "blue"
    rows[3]["external_id"] = "L1"
    report = load_json(housing, {"dataset": "ledger", "rows": rows})
    messages = {(e["row"], e["field"]): e["message"] for e in report["errors"]}
    assert "unknown field 'colour'" in messages[(1, "colour")]
    assert "repeated (first on row 0)" in messages[(3, "external_id")]


def test_a_csv_header_must_name_known_columns(housing):
    report = load_csv(housing, "ledger", LEDGER_CSV.replace("component", "komponent"))
    assert report["status"] == "rejected"
    assert report["errors"][0]["row"] == 1
    assert "unknown column(s) 'komponent'" in report["errors"][0]["message"]


def test_a_dry_run_counts_but_writes_nothing(housing):
    report = load_csv(housing, "ledger", LEDGER_CSV, dry_run=True)
    assert report["status"] == "checked"
    assert report["rows"]["created"] == 4
    assert ledger_state(housing) == []
