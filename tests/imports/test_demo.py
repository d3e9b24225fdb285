"""Demo data goes through the import and follows each cooperative's policy."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from iok_saas.demo import _load_residents
from iok_saas.extensions import db
from iok_saas.modules.housing.models import Unit
from iok_saas.modules.imports.demo import seed_demo
from iok_saas.modules.imports.models import ImportRun
from iok_saas.modules.ledger.models import ChargeSchedule, LedgerEntry
from iok_saas.modules.meters.models import Meter, MeterReading
from iok_saas.modules.records.models import CourtCase, LandCost, Membership, ServiceCharge
from iok_saas.tenancy import tenant_scope

from ..factories import tenant

TODAY = date(2026, 11, 21)


def seeded(slug: str) -> dict:
    snapshot = tenant(slug)
    with tenant_scope(snapshot):
        _load_residents(snapshot)
        db.session.commit()
        seed_demo(TODAY)
        db.session.commit()
        balances = {unit: total for unit, total in db.session.execute(
            select(Unit.external_id, func.sum(LedgerEntry.amount))
            .join(LedgerEntry, LedgerEntry.unit_id == Unit.id).group_by(Unit.external_id))}

        def count(model):
            return db.session.scalar(select(func.count()).select_from(model))

        return {"balances": {k: Decimal(v) for k, v in balances.items()},
                "kinds": set(db.session.scalars(select(LedgerEntry.kind).distinct())),
                "components": set(db.session.scalars(select(ChargeSchedule.component))),
                "runs": [tuple(r) for r in db.session.execute(
                    select(ImportRun.source, ImportRun.status))],
                **{m.__name__: count(m) for m in (Unit, LedgerEntry, ChargeSchedule, Meter,
                                                  MeterReading, Membership, CourtCase,
                                                  LandCost, ServiceCharge)}}


def test_siarkowiec_gets_every_record_it_shows(synced, ctx):
    data = seeded("siarkowiec")
    assert data["runs"] == [("demo", "applied")]
    balances = data["balances"]
    assert balances["DEMO-U1"] == 0
    assert balances["DEMO-U2"] < 0  # overpaid
    assert balances["DEMO-U3"] > 500  # in debt
    assert data["kinds"] == {"charge", "payment", "correction", "interest"}
    assert data["components"] == {"eksploatacja", "fundusz remontowy", "woda",
                                  "wywóz odpadów"}
    units = data["Unit"]  # the demo's flats (one resident holds two)
    assert data["ChargeSchedule"] == units * 4
    assert data["Meter"] == units * 2 and data["MeterReading"] == units * 2 * 24
    assert data["Membership"] == 6  # one per demo person; a person with two flats has one
    assert data["CourtCase"] == 2  # one open, one settled
    assert data["ServiceCharge"] == 2 and data["LandCost"] == 0


def test_each_policy_decides_what_is_seeded(synced, ctx):
    gdynia = seeded("gdynia")
    assert gdynia["LandCost"] == gdynia["Unit"] and gdynia["Membership"] == 0
    assert gdynia["CourtCase"] == 2 and gdynia["ServiceCharge"] == 2
    kuzniki = seeded("kuzniki")
    assert kuzniki["LedgerEntry"] > kuzniki["Unit"] * 24 * 4 and kuzniki["Meter"] == 0
    zielone = seeded("zielone-wzgorza")
    assert zielone["components"] == {"rent", "loan"}
    assert zielone["MeterReading"] == zielone["Unit"] * 2 * 24


def test_readings_grow_month_by_month(synced, ctx):
    seeded("brzeg")
    with tenant_scope(tenant("brzeg")):
        meter = db.session.scalar(select(Meter).order_by(Meter.id))
        values = [r.value for r in meter.readings]
    assert len(values) == 24 and values == sorted(values) and values[0] > 0
