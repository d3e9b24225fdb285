"""The occupants demo: Kuźniki gets a confirmed declaration and a waiting one."""

from __future__ import annotations

from sqlalchemy import select

from iok_saas import demo
from iok_saas.extensions import db
from iok_saas.modules.occupants import services
from iok_saas.modules.occupants.demo import seed_demo
from iok_saas.modules.occupants.models import CONFIRMED, SUBMITTED, OccupantsChange
from iok_saas.tenancy import tenant_scope

from ..factories import tenant


def _seed(slug: str) -> list[OccupantsChange]:
    snapshot = tenant(slug)
    with tenant_scope(snapshot):
        demo._load_staff(snapshot)
        demo._load_residents(snapshot)
        db.session.commit()
        seed_demo(services.today())
        db.session.commit()
        return list(db.session.scalars(select(OccupantsChange).order_by(OccupantsChange.id)))


def test_kuzniki_demo_declarations(synced, ctx, office_client):
    rows = _seed("kuzniki")
    assert [r.state for r in rows] == [CONFIRMED, SUBMITTED]
    with tenant_scope(tenant("kuzniki")):
        assert services.in_force(rows[0].unit_id).occupants == 2
    desk = office_client("kuzniki").get("/staff/liczba-osob/").get_data(as_text=True)
    assert "Anna Nowicka" in desk and "mieszka z nami mama" in desk


def test_other_tenants_get_nothing(synced, ctx):
    assert _seed("zielone-wzgorza") == []
