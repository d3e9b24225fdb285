"""The PostgreSQL COPY path (bulk.py) against the marshmallow path, on one shared corpus.

Every CSV file below goes through ``import_data`` twice: in one cooperative with the COPY
path switched off (``IOK_IMPORT_COPY`` = False: marshmallow row by row, the path SQLite
always takes) and in another with it on. The two runs must report the same thing — status,
counts per dataset, every error with its row, column, code, English message and params —
and leave the same rows behind. The files run in sequence, so later ones re-import,
change and break rows the earlier ones wrote (created / updated / unchanged).

The corpus holds the CSV cases of the other import tests plus the cells that are hard to
agree on: numbers and dates in forms only Python reads, blanks around and inside cells,
NUL characters, quoted line breaks, the limits of every check of every dataset.
"""

from __future__ import annotations

import csv
import json

import pytest
from marshmallow import ValidationError
from sqlalchemy import event, func, select, text

from iok_saas.extensions import db
from iok_saas.modules.housing.models import HousingRevision
from iok_saas.modules.imports import bulk, services
from iok_saas.modules.imports import schemas as S
from iok_saas.modules.imports.formats import DATASETS, ORDER
from iok_saas.modules.ledger.models import LedgerEntry
from iok_saas.tenancy import cross_tenant, tenant_scope

from ..factories import tenant
from .conftest import ASSOCIATIONS_CSV, LEDGER_CSV, UNITS_CSV, housing_document
from .test_error_language import BAD_LEDGER

MARSHMALLOW, COPY = "brzeg", "gdynia"
LEDGER = "external_id,unit,booking_date,period,kind,component,title,amount\n"
CHARGES = "external_id,unit,component,title,amount,valid_from,valid_to,due_day\n"
TITLES = "external_id,person,unit,kind,valid_from,valid_to\n"
UNITS = "external_id,association,street,building_number,unit_number,city,kind,bank_account\n"
ACCOUNT = "12 1020 1020 1020 1020 1020 1020"

# (dataset, file contents), imported in this order into both cooperatives.
CORPUS: list[tuple[str, str]] = [
    ("associations", ASSOCIATIONS_CSV),
    ("units", UNITS_CSV),
    ("ledger", LEDGER_CSV),
    ("ledger", LEDGER_CSV),  # unchanged
    ("ledger", LEDGER_CSV.replace("412.30", "415.00")),  # one updated
    # test_import_rules: a positive payment, and a row with four problems
    ("ledger", LEDGER_CSV + "L5,U1,2025-02-10,2025-02,payment,,Wpłata,25.00\n"
                            "L6,U9,2025-02-31,2025-13,charge,,Opłata,1.005\n"),
    ("ledger", LEDGER_CSV.replace("component", "komponent")),  # an unknown column
    ("ledger", BAD_LEDGER),  # test_error_language: one of each kind of row error
    ("ledger", "external_id,unit,komponent\nL1,U1,x\n"),
    ("ledger", ""),
    ("ledger", LEDGER + "L1,U1,2025-01-10,2025-01,charge,,Op\udcb3ata,1\n"),  # not UTF-8
    ("ledger", LEDGER + "L1,U1,2025-01-10,2025-01,charge,,Opłata,1,00\n"),  # 9 values
    ("ledger", LEDGER_CSV + "L5,U1,2025-02-10,2025-02,payment,,Wpłata,25,00\n"),
    ("ledger", LEDGER_CSV + "L9,U1,2025-02-10,2025-02,interest,,Odsetki,-3.00\n"),
    # numbers: what only Python reads, the limits, signs
    ("ledger", LEDGER
     + "N1,U1,2025-01-10,2025-01,charge,,A,1e3\n"
     + "N2,U1,2025-01-10,2025-01,charge,,A,1_000.50\n"
     + "N3,U1,2025-01-10,2025-01,charge,,A, 12.50 \n"
     + "N4,U1,2025-01-10,2025-01,charge,,A,NaN\n"
     + "N5,U1,2025-01-10,2025-01,charge,,A,-Infinity\n"
     + "N6,U1,2025-01-10,2025-01,charge,,A,999999999999.99\n"
     + "N7,U1,2025-01-10,2025-01,charge,,A,1000000000000\n"
     + "N8,U1,2025-01-10,2025-01,payment,,A,-0\n"
     + "N9,U1,2025-01-10,2025-01,charge,,A,+5\n"
     + "N10,U1,2025-01-10,2025-01,charge,,A,.5\n"
     + "N11,U1,2025-01-10,2025-01,charge,,A,5.\n"
     + "N12,U1,2025-01-10,2025-01,charge,,A,1.500\n"
     + "N13,U1,2025-01-10,2025-01,charge,,A,1.501\n"
     + "N14,U1,2025-01-10,2025-01,charge,,A,abc\n"
     + "N15,U1,2025-01-10,2025-01,charge,,A,1.2.3\n"
     + "N16,U1,2025-01-10,2025-01,charge,,A,--5\n"
     + "N17,U1,2025-01-10,2025-01,charge,,A,5-\n"
     + "N18,U1,2025-01-10,2025-01,charge,,A,١٢\n"
     + "N19,U1,2025-01-10,2025-01,charge,,A,.\n"
     + "N20,U1,2025-01-10,2025-01,correction,,A,0.00\n"
     + "N21,U1,2025-01-10,2025-01,interest,,A,0\n"
     + "N22,U1,2025-01-10,2025-01,charge,,A," + "9" * 1200 + "\n"),
    ("ledger", LEDGER
     + "N1,U1,2025-01-10,2025-01,charge,,A,1e3\n"
     + "N2,U1,2025-01-10,2025-01,charge,,A,1_000.50\n"
     + "N6,U1,2025-01-10,2025-01,charge,,A,999999999999.99\n"
     + "N9,U1,2025-01-10,2025-01,charge,,A,+5\n"
     + "N10,U1,2025-01-10,2025-01,charge,,A,.5\n"
     + "N11,U1,2025-01-10,2025-01,correction,,A,-5.\n"
     + "N12,U1,2025-01-10,2025-01,charge,,A,1.500\n"),
    ("ledger", LEDGER  # the same values written otherwise: unchanged or updated
     + "N1,U1,2025-01-10,2025-01,charge,,A,1000.00\n"
     + "N2,U1,2025-01-10,2025-01,charge,,A,1000.5\n"
     + "N6,U1,2025-01-10,2025-01,charge,,A,999999999999.990\n"
     + "N9,U1,2025-01-10,2025-01,charge,,A,5\n"
     + "N10,U1,2025-01-10,2025-01,charge,,A,0.50\n"
     + "N11,U1,2025-01-10,2025-01,correction,,B,-5\n"
     + "N12,U1,2025-01-10,2025-01,charge,,A,1.51\n"),
    # dates and months
    ("ledger", LEDGER
     + "D1,U1,20250110,2025-01,charge,,A,1\n"
     + "D2,U1,2025-1-5,2025-01,charge,,A,1\n"
     + "D3,U1, 2025-01-10,2025-01,charge,,A,1\n"
     + "D4,U1,2025-02-29,2025-02,charge,,A,1\n"
     + "D5,U1,2024-02-29,2024-02,charge,,A,1\n"
     + "D6,U1,0000-01-01,2025-01,charge,,A,1\n"
     + "D7,U1,2025-04-31,2025-04,charge,,A,1\n"
     + "D8,U1,2025-12-31,2025-12,charge,,A,1\n"
     + "D9,U1,2025-00-10,0000-01,charge,,A,1\n"
     + "D10,U1,2025-01-10,2025-1,charge,,A,1\n"
     + "D11,U1,2025-01-10, 2025-01 ,charge,,A,1\n"
     + "D12,U1,2025-01-10,٢٠٢٥-01,charge,,A,1\n"
     + "D13,U1,2025-01-10,2025-00,charge,,A,1\n"
     + "D14,U1,2025-W02-5,2025-01,charge,,A,1\n"
     + "D15,U1,2025-01-10T00:00,2025-01,charge,,A,1\n"
     + "D16,U1,2025-01-32,2025-01,charge,,A,1\n"
     + "D17,U1,9999-12-31,9999-12,charge,,A,1\n"),
    ("ledger", LEDGER
     + "D1,U1,20250110,2025-01,charge,,A,1\n"
     + "D5,U1,2024-02-29,2024-02,charge,,A,1\n"
     + "D8,U1,2025-12-31,2025-12,charge,,A,1\n"
     + "D11,U1,2025-01-10, 2025-01 ,charge,,A,1\n"
     + "D17,U1,9999-12-31,9999-12,charge,,A,1\n"),
    # blanks, texts, enumerations, quoting
    ("ledger", LEDGER
     + "T1,U1,2025-01-10,2025-01,charge, ,A,1\n"
     + "T2,U1,2025-01-10,2025-01,charge,,  ,1\n"
     + "T3, U1 ,2025-01-10,2025-01, charge ,\u00a0woda\u00a0,\u2003Tytuł ,1\n"
     + "T4,U1,2025-01-10,2025-01,CHARGE,,A,1\n"
     + "T5,U1,2025-01-10,2025-01,charge," + "k" * 33 + ",A,1\n"
     + "T6,U1,2025-01-10,2025-01,charge," + "k" * 32 + "," + "ż" * 200 + ",1\n"
     + "T7,U1,2025-01-10,2025-01,charge,,\"Tytuł, z przecinkiem\",1\n"
     + "T8,U1,2025-01-10,2025-01,charge,,\"dwie\nlinie\",1\n"
     + "T9,U1,2025-01-10,2025-01,charge,,tab\there \\ backslash,1\n"
     + "T10,U1,2025-01-10,2025-01,charge,,nul\x00inside,1\n"
     + "T11\x00,U1,2025-01-10,2025-01,charge,,A,1\n"
     + "\n"
     + "  ,U1,2025-01-10,2025-01,charge,,A,1\n"
     + "T12,U1,2025-01-10,2025-01,,,A,1\n"
     + "T13,U1,2025-01-10,2025-01,charge,,\"\"\"cytat\"\"\",1\n"
     + "T14,U1,2025-01-10,2025-01,charge,,A,1\r\n"
     + "x" * 65 + ",U1,2025-01-10,2025-01,charge,,A,1\n"
     + "T15,,2025-01-10,2025-01,charge,,A,1\n"
     + "T16,U1,,,,,,\n"),
    ("ledger", LEDGER
     + "T3, U1 ,2025-01-10,2025-01, charge ,\u00a0woda\u00a0,\u2003Tytuł ,1\n"
     + "T6,U1,2025-01-10,2025-01,charge," + "k" * 32 + "," + "ż" * 200 + ",1\n"
     + "T7,U1,2025-01-10,2025-01,charge,,\"Tytuł, z przecinkiem\",1\n"
     + "T8,U1,2025-01-10,2025-01,charge,,\"dwie\nlinie\",1\n"
     + "T9,U1,2025-01-10,2025-01,charge,,tab\there \\ backslash,1\n"
     + "T13,U1,2025-01-10,2025-01,charge,,\"\"\"cytat\"\"\",1\n"),
    # repeats: of a good row, of a bad row, of an id with blanks around it
    ("ledger", LEDGER
     + "R1,U1,2025-01-10,2025-01,charge,,A,1\n"
     + "R2,U1,2025-01-10,2025-01,charge,,A,-1\n"
     + "R1,U1,2025-01-10,2025-01,charge,,A,2\n"
     + "R2,U1,2025-01-10,2025-01,charge,,A,2\n"
     + " R1 ,U1,2025-01-10,2025-01,charge,,A,3\n"
     + "R3,U9,2025-01-10,2025-01,charge,,A,3\n"
     + "R3,U9,2025-01-10,2025-01,charge,,A,3\n"
     + "R4,U1,2025-01-10,2025-01,charge,,A,1e400\n"
     + "R4,U1,2025-01-10,2025-01,charge,,A,1\n"),
    # the other datasets: every kind of field and rule they have
    ("units", UNITS
     + f"U3,A1,ul. Lipowa,3,16,Brzeg,commercial,{ACCOUNT}\n"
     + "U4,A1,ul. Lipowa,3,18,Brzeg, ,12345678901234567890123456\n"
     + "U5,A1,ul. Lipowa,3,20,Brzeg,castle,12\n"
     + "U6,A9,ul. Lipowa,3,22,Brzeg,,１２３４５６７８９０１２３４５６７８９０１２３４５６\n"
     + "U7,A1," + "s" * 201 + ",,,Brzeg,,12 34\n"
     + "U8,A1,ul. Lipowa,3,24,Brzeg,,1234567890123456789012345a\n"),
    ("units", UNITS + f"U3,A1,ul. Lipowa,3,16,Brzeg,commercial,{ACCOUNT}\n"
                      "U4,A1,ul. Lipowa,3,18,Brzeg,,12345678901234567890123456\n"),
    ("titles", TITLES
     + "T1,P1,U1,owner,2019-05-01,\n"
     + "T2,P2,U2,tenant,2020-01-01,2019-12-31\n"
     + "T3,P9,U9,landlord,2020-01-01,\n"
     + "T4,P2,U2,tenant,2020-01-01,2020-01-01\n"
     + "T5,P2,U2,member,2020-13-01,2020-01-01\n"),
    ("titles", TITLES + "T1,P1,U1,owner,2019-05-01,2030-12-31\n"),
    ("charges", CHARGES
     + "C1,U1,eksploatacja,Opłata,412.30,2025-01-01,,\n"
     + "C2,U1,,T,0,2025-02-01,,29\n"
     + "C3,U1,,T,1,2025-02-01,2025-01-01,10\n"
     + "C4,U1,,T,abc,2025-02-01,,10.5\n"
     + "C5,U1,,T,1e20,2025-02-01,,+5\n"
     + "C6,U1,,T,1,2025-02-01,, 28\n"
     + "C7,U1,,T,1,2025-02-01,,1_0\n"
     + "C8,U1,,T,1,2025-02-01,,0028\n"
     + "C9,U1,,T,1,2025-02-01,,99999999999999999999\n"
     + "C10,U1,,T,1,2025-02-01,,0\n"),
    ("charges", CHARGES + "C1,U1,eksploatacja,Opłata,412.30,2025-01-01,,10\n"
                          "C6,U1,,T,1,2025-02-01,,28\n"
                          "C8,U1,,T,1,2025-02-01,,28\n"),
    ("meters", "external_id,unit,serial_number,kind,location,installed_on,removed_on\n"
     "M2,U1,WM-2,hot_water,łazienka,2019-06-01,\n"
     "M3,U2,WM-3,steam,,2019-06-01,2019-05-01\n"
     "M4,U2,WM-4,cold_water,,,2019-05-01\n"),
    ("readings", "external_id,meter,read_on,value\n"
     "R1,M1,2025-01-31,12.345\n"
     "R2,M1,2025-01-31,-1\n"
     "R3,M9,2025-01-31,1.0005\n"
     "R4,M2,2025-02-28,999999999.999\n"
     "R5,M2,2025-02-28,1000000000\n"),
    ("readings", "external_id,meter,read_on,value\nR1,M1,2025-01-31,12.3450\n"),
    ("memberships", "external_id,person,member_number,member_since,member_until,"
     "contribution_due,contribution_paid,share_due,share_paid\n"
     "S1,P1,1234,2001-03-15,,100.00,100.00,500.00,250.00\n"
     "S2,P2,,2001-03-15,2000-01-01,-1,0,0,0\n"
     "S3,P9,,2001-03-15,,0,0,0,0.001\n"),
    ("court_cases", "external_id,unit,case_number,court,subject,claim_amount,filed_on,"
     "status,closed_on\n"
     "K1,U1,I C 123/25,Sąd Rejonowy,Zapłata,4200.00,2025-02-01,w toku,\n"
     "K2,U1,I C 124/25,Sąd Rejonowy,Zapłata,-5,2025-02-01,w toku,2025-01-01\n"),
    ("land_costs", "external_id,unit,description,amount,paid,due_date\n"
     "G1,U1,Grunt,3200.00,1600.00,2026-03-31\n"
     "G2,U2,Grunt,3200.00,,\n"),
    ("services", "external_id,unit,document_number,issued_on,description,amount,paid,"
     "due_date\n"
     "F1,U1,FV/1,2025-01-17,Zamek,180.00,0.00,2025-01-31\n"
     "F2,U1,FV/2,2025-01-17,Zamek,180.00,0.00,17-01-2025\n"),
]


def _setup(slug: str) -> None:
    """The same starting point in both cooperatives: housing, two persons, one meter."""
    document = housing_document()
    document["datasets"]["persons"] = [
        {"external_id": "P1", "first_name": "Anna", "last_name": "Nowicka"},
        {"external_id": "P2", "first_name": "Jan", "last_name": "Kowal"}]
    document["datasets"]["meters"] = [
        {"external_id": "M1", "unit": "U1", "serial_number": "WM-1", "kind": "cold_water"}]
    with tenant_scope(tenant(slug)):
        run = services.import_bytes(json.dumps(document).encode(), "json", None,
                                    source="cli", actor="cli:test")
        assert run.status == "applied", run.errors
        db.session.commit()


def _run(app, slug: str, dataset: str, content: str, *, copy: bool, dry_run: bool = False):
    app.config["IOK_IMPORT_COPY"] = copy
    data = content.encode("utf-8", "surrogateescape")
    with tenant_scope(tenant(slug)):
        run = services.import_bytes(data, "csv", dataset, source="cli", actor="cli:test",
                                    dry_run=dry_run)
        report = services.run_as_dict(run)
        db.session.commit()  # the test is the boundary, as `flask imports load` is
    del report["id"], report["created_at"]
    return report


def _stored(slug: str) -> dict[str, list[tuple]]:
    """Every imported row of the cooperative, references as external ids."""
    state = {}
    with tenant_scope(tenant(slug)):
        external = {name: dict(db.session.execute(select(spec.model.id,
                                                         spec.model.external_id)).all())
                    for name, spec in DATASETS.items()}
        for name in ORDER:
            spec = DATASETS[name]
            table = spec.model.__table__
            columns = [c for c in table.columns
                       if c.name not in ("id", "tenant_id", "created_at")]
            rows = []
            query = select(*(getattr(spec.model, c.name) for c in columns))
            for row in db.session.execute(query):
                values = dict(zip((c.name for c in columns), row, strict=True))
                for field, target in spec.references.items():
                    values[f"{field}_id"] = external[target].get(values[f"{field}_id"])
                rows.append(tuple(sorted(values.items())))
            state[name] = sorted(rows, key=repr)
    return state


def _in_id_order(slug: str) -> list[str]:
    """The ledger's external ids in the order the rows were written (a day's entries are
    listed in that order)."""
    with tenant_scope(tenant(slug)):
        return list(db.session.scalars(select(LedgerEntry.external_id)
                                       .order_by(LedgerEntry.id)))


@pytest.fixture
def both(synced, ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's (CI runs this suite on PostgreSQL too)")
    for slug in (MARSHMALLOW, COPY):
        _setup(slug)
    yield synced
    synced.config.pop("IOK_IMPORT_COPY", None)


def test_every_copy_dataset_has_a_plan_and_persons_keep_marshmallow(app):
    planned = {name for name, spec in DATASETS.items() if bulk.plan_for(spec) is not None}
    assert planned >= bulk.PROVEN and "persons" not in planned  # e-mail: no SQL form
    assert {dataset for dataset, _content in CORPUS} == bulk.PROVEN


def test_both_paths_agree_on_the_corpus(both, monkeypatch):
    app = both
    taken = []
    real = bulk.run
    monkeypatch.setattr(bulk, "run", lambda *args: taken.append(args[1].spec.name)
                        or real(*args))
    outcomes = set()
    for number, (dataset, content) in enumerate(CORPUS):
        expected = _run(app, MARSHMALLOW, dataset, content, copy=False)
        assert taken == [], "IOK_IMPORT_COPY = False must keep the marshmallow path"
        got = _run(app, COPY, dataset, content, copy=True)
        assert taken == [dataset]  # even a file whose header is refused
        taken.clear()
        assert got == expected, f"corpus file {number} ({dataset})"
        assert _stored(COPY) == _stored(MARSHMALLOW), f"after corpus file {number}"
        outcomes.add(got["status"])
        outcomes.update(key for key, value in got["rows"].items() if value)
    assert outcomes == {"applied", "rejected", "total", "created", "updated", "unchanged"}


def test_dry_runs_agree_and_write_nothing(both):
    app = both
    for dataset, content in CORPUS[:5]:
        before = _stored(COPY)
        expected = _run(app, MARSHMALLOW, dataset, content, copy=False, dry_run=True)
        got = _run(app, COPY, dataset, content, copy=True, dry_run=True)
        assert got == expected
        assert got["status"] in ("checked", "rejected")
        assert _stored(COPY) == before


def test_the_copy_path_is_the_one_taken_and_keeps_the_housing_stamp(both, monkeypatch):
    app = both
    taken = []
    real = bulk.run
    monkeypatch.setattr(bulk, "run", lambda *args: taken.append(args[1].spec.name)
                        or real(*args))

    def stamp() -> str | None:
        with tenant_scope(tenant(COPY)):
            return db.session.scalar(select(HousingRevision.stamp))

    before = stamp()
    report = _run(app, COPY, "units", UNITS + f"U3,A1,ul. Lipowa,3,16,Brzeg,,{ACCOUNT}\n",
                  copy=True)
    assert report["rows"]["created"] == 1 and taken == ["units"]
    changed = stamp()
    assert changed not in (None, before)
    report = _run(app, COPY, "units", UNITS + f"U3,A1,ul. Lipowa,3,16,Brzeg,,{ACCOUNT}\n",
                  copy=True)
    assert report["rows"]["unchanged"] == 1
    assert stamp() == changed  # nothing changed: the memos stay valid
    _run(app, COPY, "ledger", LEDGER_CSV, copy=True)
    assert stamp() == changed and taken == ["units", "units", "ledger"]


def test_a_large_import_leaves_fresh_statistics_on_both_paths(both, monkeypatch):
    """An import that writes many rows ends by analysing the table, so the next dataset
    plans on the new rows. The app connects as a role that owns no table: a plain ANALYZE
    warned and did nothing; the owner's iok_analyze does it (reltuples is -1 until then)."""
    app = both
    monkeypatch.setattr(services, "ANALYZE_AFTER", 1)
    monkeypatch.setattr(bulk, "ANALYZE_AFTER", 1)

    def planner_rows() -> float:
        return db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = :t"),
                                 {"t": LedgerEntry.__table__.name})

    def stored_rows() -> int:
        with cross_tenant("test: every tenant's ledger rows"):
            return db.session.scalar(select(func.count()).select_from(LedgerEntry))

    assert planner_rows() < 1
    for slug, copy in ((COPY, True), (MARSHMALLOW, False)):
        report = _run(app, slug, "ledger", LEDGER_CSV, copy=copy)
        assert report["status"] == "applied" and report["rows"]["created"] > 0
        assert planner_rows() == stored_rows() > 0, slug


def test_more_errors_than_are_kept_are_counted_and_the_first_ones_kept(both):
    app = both
    rows = "".join(f"E{i},U1,2025-01-10,2025-01,payment,,A,{i + 1}\n"
                   for i in range(services.ERRORS_KEPT + 200))
    content = LEDGER + rows + "E0,U1,2025-01-10,2025-01,payment,,A,1e3\n"
    expected = _run(app, MARSHMALLOW, "ledger", content, copy=False)
    got = _run(app, COPY, "ledger", content, copy=True)
    assert got == expected
    assert got["errors_total"] == services.ERRORS_KEPT + 201
    assert len(got["errors"]) == services.ERRORS_KEPT
    assert got["errors"][0]["row"] == 2


class Statements:
    """The SQL the app sends while the block runs."""

    def __enter__(self):
        self.sent: list[str] = []
        event.listen(db.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc_info):
        event.remove(db.engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, *_rest):
        self.sent.append(statement)

    def count(self, prefix: str) -> int:
        return sum(statement.startswith(prefix) for statement in self.sent)


WRITE = 'INSERT INTO "ledger_entry"'
ATTEMPT = "SAVEPOINT "  # the one statement's: undone if the database refuses a row
CHECKED = f"CREATE TEMP TABLE {bulk.CHECKED}"  # the usual path's


def test_a_first_import_of_a_good_file_is_checked_and_written_in_one_statement(both):
    app = both
    expected = _run(app, MARSHMALLOW, "ledger", LEDGER_CSV, copy=False)
    with Statements() as sql:
        got = _run(app, COPY, "ledger", LEDGER_CSV, copy=True)
    assert got == expected and got["rows"]["created"] == 4
    assert (sql.count(ATTEMPT), sql.count(WRITE), sql.count(CHECKED)) == (1, 1, 0)
    assert _stored(COPY) == _stored(MARSHMALLOW)
    assert _in_id_order(COPY) == _in_id_order(MARSHMALLOW) == ["L1", "L2", "L3", "L4"]
    changed = LEDGER_CSV.replace("412.30", "415.00") + \
        "L5,U1,2025-02-10,2025-02,payment,,Wpłata,-25.00\n"
    expected = _run(app, MARSHMALLOW, "ledger", changed, copy=False)
    with Statements() as sql:  # rows are stored now: the usual path counts against them
        got = _run(app, COPY, "ledger", changed, copy=True)
    assert got == expected and (got["rows"]["updated"], got["rows"]["created"]) == (1, 1)
    assert (sql.count(ATTEMPT), sql.count(CHECKED)) == (0, 1)
    assert _stored(COPY) == _stored(MARSHMALLOW)
    assert _in_id_order(COPY) == _in_id_order(MARSHMALLOW)


ROW = "U1,2025-01-10,2025-01,charge,,Opłata,1.00\n"
# First ledger files the one statement refuses: the usual path then reports (or, for the
# last, imports) them as the marshmallow path does.
REFUSED_FIRST_FILES = [
    ("a failed check", LEDGER + "F1," + ROW + "F2,U1,2025-01-10,2025-13,charge,,A,1.00\n"),
    ("a repeated id", LEDGER + "F1," + ROW + "F2," + ROW + "F1," + ROW),
    ("an unknown flat", LEDGER + "F1," + ROW + "F2,U9,2025-01-10,2025-01,charge,,A,1.00\n"),
    ("a sign rule", LEDGER + "F1," + ROW + "F2,U1,2025-01-10,2025-01,payment,,A,1.00\n"),
    ("a number only Python reads", LEDGER + "F1," + ROW + "F2,U1,2025-01-10,2025-01,"
                                                          "charge,,A,1e1\n"),
]


def test_a_first_import_the_one_statement_refuses_is_reported_as_before(both):
    app = both
    for case, content in REFUSED_FIRST_FILES:
        expected = _run(app, MARSHMALLOW, "ledger", content, copy=False)
        with Statements() as sql:
            got = _run(app, COPY, "ledger", content, copy=True)
        assert got == expected, case
        assert (sql.count(ATTEMPT), sql.count(CHECKED)) == (1, 1), case
        assert sql.count(WRITE) == 1 + (got["status"] == "applied"), case
        assert _stored(COPY) == _stored(MARSHMALLOW), case
    assert got["status"] == "applied" and got["rows"]["created"] == 2  # 1e1 is valid


def test_a_first_file_with_blanks_around_a_cell_goes_the_usual_way(both):
    app = both
    content = LEDGER + "F1, U1 ,2025-01-10,2025-01,charge,,Opłata,1.00\n"
    expected = _run(app, MARSHMALLOW, "ledger", content, copy=False)
    with Statements() as sql:
        got = _run(app, COPY, "ledger", content, copy=True)
    assert got == expected and got["rows"]["created"] == 1
    assert (sql.count(ATTEMPT), sql.count(CHECKED)) == (0, 1)
    assert _stored(COPY) == _stored(MARSHMALLOW)
    assert _in_id_order(COPY) == _in_id_order(MARSHMALLOW)


# (case, file, read by the server's CSV reader?) — any other file is read by Python's, from
# its first line again, and both give what the marshmallow path gives.
GOOD = "F1," + ROW
READERS = [
    ("plain", LEDGER + GOOD + "F2,U1,2025-01-11,2025-01,payment,,Wpłata,-2.00\n", True),
    ("CRLF line ends", (LEDGER + GOOD).replace("\n", "\r\n"), True),
    ("no line end at the end", LEDGER + GOOD.rstrip("\n"), True),
    ("a cell ending in 'ń' (shares a byte with a blank)", LEDGER + GOOD.replace(
        "Opłata", "Poznań"), True),
    ("blanks around a cell", LEDGER + GOOD.replace(",U1,", ", U1 ,"), True),
    ("a no-break space ending the last cell", LEDGER + GOOD.replace("1.00", "1.00\u00a0"),
     True),
    ("errors in the rows", LEDGER + GOOD + "F2,U9,2025-02-30,2025-13,charge,,A,1.001\n", True),
    ("a quoted cell", LEDGER + GOOD.replace("Opłata", '"Opłata, woda"'), False),
    ("a quote inside a cell", LEDGER + GOOD.replace("Opłata", 'Op"łata'), False),
    ("a blank line", LEDGER + GOOD + "\n" + GOOD.replace("F1", "F2"), False),
    ("a blank line at the end", LEDGER + GOOD + "\n\n", False),
    ("a line that ends COPY's data", LEDGER + GOOD + "\\.\n" + GOOD.replace("F1", "F2"),
     False),
    ("a cell too many", LEDGER + GOOD.replace("1.00", "1.00,x"), False),
    ("a NUL", LEDGER + GOOD.replace("Opłata", "Op\x00łata"), False),
    ("not UTF-8", LEDGER + GOOD.replace("Opłata", "Op\udcb3ata"), False),
    ("a lone carriage return", LEDGER + GOOD.replace("Opłata", "Op\rłata"), False),
    ("one column", "external_id\nF1\n", False),
    ("a cell longer than Python's csv reader takes", LEDGER + GOOD.replace(
        "Opłata", "x" * (csv.field_size_limit() + 1)), False),
]


def test_the_server_reads_plain_files_and_python_the_rest(both, monkeypatch):
    app = both
    plain = []
    real = bulk.Staging._load_plain
    monkeypatch.setattr(bulk.Staging, "_load_plain",
                        lambda self, cursor: plain.append(real(self, cursor)) or plain[-1])
    for case, content, read_by_server in READERS:
        expected = _run(app, MARSHMALLOW, "ledger", content, copy=False)
        got = _run(app, COPY, "ledger", content, copy=True)
        assert plain.pop() is read_by_server, case
        assert got == expected, case
        assert _stored(COPY) == _stored(MARSHMALLOW), case


LENGTH_CELLS = ["a", "ó", "ab", "óó", "a😀", "😀😀", "abc", "ąęó", "😀😀😀", "abcd", "ąęół",
                "😀😀😀😀", "ó" * 8, "😀" * 8, "ó" * 9, "a" * 9]


@pytest.mark.parametrize(("least", "most"), [(1, 3), (2, 3), (3, 8), (None, 2)])
def test_length_checks_count_characters_as_marshmallow_does(ctx, least, most):
    """The SQL reads a cell's bytes first and counts its characters only when the bytes
    cannot settle it (a character is 1-4 bytes): cells of 1-, 2- and 4-byte characters
    at and around each limit must pass or fail as marshmallow has them."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's (CI runs this suite on PostgreSQL too)")
    fld = S.Text(validate=S.Length(min=least, max=most))
    (condition, _message), = bulk._field_plan("cell", fld, "cell").checks
    check = text(f"SELECT {bulk._fill(condition, 0)} FROM "  # noqa: S608 — the plan's SQL
                 "(SELECT CAST(:cell AS text) AS raw_0) s")
    for cell in LENGTH_CELLS:
        try:
            fld.deserialize(cell)
            refused = False
        except ValidationError:
            refused = True
        assert db.session.scalar(check, {"cell": cell}) is refused, (cell, least, most)
