"""Demo declarations of the number of occupants (fictional): for the first active demo
resident a confirmed declaration in force, and a new one waiting on the staff desk."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ACTIVE, ResidentAccount
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.housing.models import Person, Title, Unit
from iok_saas.tenancy import current_tenant

from . import services
from .models import CONFIRMED, SUBMITTED, OccupantsChange


def _first_demo_resident() -> tuple[ResidentAccount, Unit] | None:
    row = db.session.execute(
        select(ResidentAccount, Unit)
        .join(Person, Person.id == ResidentAccount.person_id)
        .join(Title, Title.person_id == Person.id)
        .join(Unit, Unit.id == Title.unit_id)
        .where(Person.external_id.like("DEMO-%"), ResidentAccount.state == ACTIVE,
               ResidentAccount.locked_until.is_(None))
        .order_by(Person.external_id, Unit.external_id).limit(1)).first()
    return (row[0], row[1]) if row else None


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def seed_demo(today: date) -> None:
    if not current_tenant.policy.shows("occupants"):
        return
    found = _first_demo_resident()
    if found is None:
        return
    account, unit = found
    this_month = today.replace(day=1)
    in_force_from = (this_month - timedelta(days=60)).replace(day=1)
    filed = in_force_from - timedelta(days=12)
    confirmed = OccupantsChange(
        unit_id=unit.id, account_id=account.id, occupants=2, effective_from=in_force_from,
        note="Zamieszkuję z mężem.", state=CONFIRMED, decided_by="staff:admin",
        decided_at=_at(filed + timedelta(days=2), 10), staff_comment=None,
        created_at=_at(filed, 17))
    waiting = OccupantsChange(
        unit_id=unit.id, account_id=account.id, occupants=3,
        effective_from=services.effective_months(today)[1],
        note="Od przyszłego miesiąca mieszka z nami mama.", state=SUBMITTED,
        created_at=_at(today - timedelta(days=1), 19))
    db.session.add_all([confirmed, waiting])
    db.session.flush()
    record_event("staff:admin", "occupants_change.confirmed", confirmed,
                 before={"state": SUBMITTED}, after={"state": CONFIRMED, "occupants": 2})
    record_event(f"resident:{account.login}", "occupants_change.submitted", waiting,
                 after={"occupants": 3, "effective_from": waiting.effective_from.isoformat()})
