"""The meters demo: a plausible resident reading waiting where residents submit readings."""

from __future__ import annotations

from sqlalchemy import select

from iok_saas import demo
from iok_saas.extensions import db
from iok_saas.modules.housing.models import Unit
from iok_saas.modules.meters import services
from iok_saas.modules.meters.demo import seed_demo
from iok_saas.modules.meters.models import SUBMITTED, MeterReading
from iok_saas.tenancy import tenant_scope

from ..factories import make_meter, tenant
from .test_meters import monthly_history


def _demo_tenant_with_meter(slug: str) -> int:
    snapshot = tenant(slug)
    with tenant_scope(snapshot):
        demo._load_staff(snapshot)
        demo._load_residents(snapshot)
        db.session.commit()
        unit_id = db.session.scalar(select(Unit.id).where(Unit.external_id == "DEMO-U1"))
    return make_meter(slug, unit_id, monthly_history())


def test_zielone_wzgorza_gets_one_waiting_reading(synced, ctx, office_client):
    meter_id = _demo_tenant_with_meter("zielone-wzgorza")
    with tenant_scope(tenant("zielone-wzgorza")):
        seed_demo(services.today())
        db.session.commit()
        pending = list(db.session.scalars(select(MeterReading).where(
            MeterReading.state == SUBMITTED)))
        assert [r.meter_id for r in pending] == [meter_id]
        meter = pending[0].meter
        assert services.assess(meter, pending[0].read_on, pending[0].value).plausible
    desk = office_client("zielone-wzgorza").get("/staff/odczyty/").get_data(as_text=True)
    assert "Anna Nowicka" in desk and "typowy" in desk


def test_tenants_without_submissions_get_nothing(synced, ctx):
    _demo_tenant_with_meter("brzeg")
    with tenant_scope(tenant("brzeg")):
        seed_demo(services.today())
        db.session.commit()
        assert db.session.scalar(select(MeterReading.id).where(
            MeterReading.state == SUBMITTED)) is None
