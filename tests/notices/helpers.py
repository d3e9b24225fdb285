"""Building notice data through the real import path, for the notices tests."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.housing.models import Unit
from iok_saas.modules.imports.models import APPLIED
from iok_saas.modules.imports.services import import_rows
from iok_saas.modules.notices import services
from iok_saas.modules.notices.models import ChargeNotice
from iok_saas.tenancy import tenant_scope

from ..factories import tenant

LINES = (("eksploatacja", "Opłata eksploatacyjna", "62,00 m² × 3,35 zł", "207.70"),
         ("fundusz remontowy", "Fundusz remontowy", "62,00 m² × 1,80 zł", "111.60"),
         ("woda", "Woda i ścieki", None, "49.26"))
TOTAL = "368,56"


def import_notices(slug: str, unit_ids: list[int], period: date = date(2027, 1, 1)) -> list[int]:
    """One notice per unit for ``period`` (three lines each); returns the notice ids."""
    with tenant_scope(tenant(slug)):
        units = dict(db.session.execute(
            select(Unit.id, Unit.external_id).where(Unit.id.in_(unit_ids))).all())
        notices, lines = [], []
        for unit_id in unit_ids:
            key = f"N-{period:%Y-%m}-{units[unit_id]}"
            notices.append({"external_id": key, "unit": units[unit_id],
                            "period": f"{period:%Y-%m}", "due_day": 15, "note": None})
            lines += [{"external_id": f"{key}-{component}", "notice": key,
                       "component": component, "title": title, "basis": basis,
                       "amount": amount} for component, title, basis, amount in LINES]
        run = import_rows({"notices": notices, "notice_lines": lines}, source="test",
                          actor="test")
        assert run.status == APPLIED, run.errors
        db.session.commit()
        return list(db.session.scalars(select(ChargeNotice.id).where(
            ChargeNotice.unit_id.in_(unit_ids), ChargeNotice.period == period)
            .order_by(ChargeNotice.unit_id)))


def publish(slug: str, period: date = date(2027, 1, 1)) -> int:
    """Publish and send as the staff view does (eager tasks in tests); returns the count."""
    from iok_saas.modules.notices import tasks

    snapshot = tenant(slug)
    with tenant_scope(snapshot):
        pending = services.publish(period, "test")
        db.session.commit()
        tasks.enqueue(snapshot.id, pending)
        return len(pending)


def consent(slug: str, account_id: int) -> None:
    from iok_saas.modules.accounts.models import ResidentAccount

    with tenant_scope(tenant(slug)):
        services.give_consent(db.session.get(ResidentAccount, account_id))
        db.session.commit()
