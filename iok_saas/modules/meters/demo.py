"""Demo meter data: one resident's reading waiting on the staff desk.

Meters and their history come from the imported demo data; this only adds, where the
policy lets residents submit readings, a plausible reading an active demo resident sent
today, so the staff desk has work to show.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ACTIVE, ResidentAccount
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.housing.models import Person, Title, Unit
from iok_saas.tenancy import current_tenant

from . import services
from .models import SOURCE_RESIDENT, SUBMITTED, Meter, MeterReading

TYPICAL_DAILY = Decimal("0.080")  # m³ a day, when the history gives no average


def _candidates() -> list[tuple[ResidentAccount, Meter]]:
    """(account, meter) for active demo residents' meters still in use, in demo order."""
    rows = db.session.execute(
        select(ResidentAccount, Meter)
        .join(Person, Person.id == ResidentAccount.person_id)
        .join(Title, Title.person_id == Person.id)
        .join(Unit, Unit.id == Title.unit_id)
        .join(Meter, Meter.unit_id == Unit.id)
        .where(Person.external_id.like("DEMO-%"), Unit.external_id.like("DEMO-U%"),
               ResidentAccount.state == ACTIVE, ResidentAccount.locked_until.is_(None),
               Meter.removed_on.is_(None))
        .order_by(Person.external_id, Meter.kind, Meter.serial_number)).all()
    return [(row[0], row[1]) for row in rows]


def seed_demo(today: date) -> None:
    policy = current_tenant.policy
    if not (policy.shows("water_meters") and policy.shows("meter_submission")):
        return
    for account, meter in _candidates():
        accepted = services.accepted_readings(meter)
        if not accepted or accepted[-1].read_on >= today or services.pending_of(meter):
            continue
        last = accepted[-1]
        days = (today - last.read_on).days
        verdict = services.assess(meter, today, last.value, accepted)
        daily = verdict.average_daily if verdict.average_daily else TYPICAL_DAILY
        value = (last.value + daily * days).quantize(services.THOUSANDTH)
        reading = MeterReading(meter_id=meter.id, read_on=today, value=value,
                               source=SOURCE_RESIDENT, state=SUBMITTED,
                               submitted_by_account_id=account.id)
        db.session.add(reading)
        db.session.flush()
        record_event(f"resident:{account.login}", "meter_reading.submitted", reading,
                     after={"meter": meter.serial_number, "read_on": today.isoformat(),
                            "value": str(value), "plausible": True})
        return
