"""Demo notices (fictional): two periods for every demo flat, sent through the real import
path, both published; the first active demo resident has consented, so one notice of each
period went out by e-mail and the others are on the paper list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ACTIVE, ResidentAccount
from iok_saas.modules.housing.models import Person, Title, Unit
from iok_saas.modules.imports.models import APPLIED
from iok_saas.modules.imports.services import import_rows
from iok_saas.tenancy import current_tenant

from . import services

PREFIX = "DEMO-"
# (component, title, zł per m², or a flat amount) — fictional rates
COMPONENTS = (("eksploatacja", "Opłata eksploatacyjna", Decimal("3.35"), None),
              ("fundusz remontowy", "Fundusz remontowy", Decimal("1.80"), None),
              ("woda", "Woda i ścieki (zaliczka)", None, Decimal("49.26")),
              ("wywóz odpadów", "Wywóz odpadów", None, Decimal("39.00")))
AREAS = (Decimal("48.50"), Decimal("62.00"), Decimal("37.80"), Decimal("71.20"))
RAISE = Decimal("1.05")  # the later period's maintenance rate goes up by 5 %


def seed_demo(today: date) -> None:
    if not current_tenant.policy.shows("charge_notices"):
        return
    units = list(db.session.scalars(select(Unit.external_id).where(
        Unit.external_id.like(f"{PREFIX}U%")).order_by(Unit.id)))
    if not units:
        return
    current = today.replace(day=1)
    earlier = (current.replace(year=current.year - 1, month=12) if current.month == 1
               else current.replace(month=current.month - 1))
    notices, lines = [], []
    for period in (earlier, current):
        for index, unit in enumerate(units):
            notice_id = f"{PREFIX}N-{period:%Y-%m}-{unit}"
            notices.append({"external_id": notice_id, "unit": unit,
                            "period": f"{period:%Y-%m}", "due_day": 15,
                            "note": "Od tego miesiąca wyższa stawka eksploatacyjna (uchwała "
                                    "zarządu nr 7/2026)." if period == current else None})
            area = AREAS[index % len(AREAS)]
            for component, title, rate, flat in COMPONENTS:
                if rate is not None and component == "eksploatacja" and period == current:
                    rate = (rate * RAISE).quantize(Decimal("0.01"))
                amount = flat if flat is not None else (rate * area).quantize(Decimal("0.01"))
                basis = None if flat is not None else \
                    f"{area:.2f} m² × {rate:.2f} zł".replace(".", ",")
                lines.append({"external_id": f"{notice_id}-{component}", "notice": notice_id,
                              "component": component, "title": title, "basis": basis,
                              "amount": str(amount)})
    run = import_rows({"notices": notices, "notice_lines": lines}, source="demo", actor="demo")
    if run.status != APPLIED:
        raise RuntimeError(f"demo notices rejected: {run.errors[:5]}")
    account = db.session.scalar(
        select(ResidentAccount).join(Person, Person.id == ResidentAccount.person_id)
        .join(Title, Title.person_id == Person.id)
        .where(ResidentAccount.state == ACTIVE, Person.email.is_not(None),
               Person.external_id.like(f"{PREFIX}%"))
        .order_by(ResidentAccount.id).limit(1))
    if account is not None:
        services.give_consent(account)
    for period in (earlier, current):
        services.send_deliveries(services.publish(period, "demo"))
