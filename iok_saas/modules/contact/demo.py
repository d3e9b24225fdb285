"""Demo contact data (fictional): one correction request waiting at the staff desk, and one
already applied in the resident's history."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.housing.models import Person
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import WARSAW

from .models import DONE, SUBMITTED, ContactCorrection


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=WARSAW)


def seed_demo(today: date) -> None:
    if not current_tenant.policy.shows("contact"):
        return
    rows = db.session.execute(
        select(ResidentAccount, Person).join(Person, Person.id == ResidentAccount.person_id)
        .where(Person.external_id.like("DEMO-%")).order_by(Person.external_id)).all()
    if not rows:
        return
    account, person = rows[0]
    db.session.add(ContactCorrection(
        account_id=account.id, person_id=person.id,
        requested={"phone": "601 234 567",
                   "correspondence_address": "ul. Przykładowa 5/7, 00-950 Warszawa"},
        note="Proszę o wysyłanie korespondencji na nowy adres — mieszkanie wynajmuję.",
        state=SUBMITTED, created_at=_at(today - timedelta(days=1), 20, 15)))
    if len(rows) > 1:
        other_account, other = rows[1]
        day = today - timedelta(days=20)
        db.session.add(ContactCorrection(
            account_id=other_account.id, person_id=other.id,
            requested={"email": other.email} if other.email else {},
            note=None if other.email else "Proszę dopisać drugie imię: Maria.",
            state=DONE, decided_by="staff:admin", decided_at=_at(day + timedelta(days=1), 10),
            staff_comment="Dane zaktualizowano.", created_at=_at(day, 9, 30)))
