"""Ledger rows for tests, written inside the tenant's scope."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from iok_saas.extensions import db
from iok_saas.modules.ledger.models import ChargeSchedule, LedgerEntry
from iok_saas.tenancy import tenant_scope

from ..factories import tenant

_serial = itertools.count(1)


def entries(slug: str, unit_id: int, *rows: tuple) -> None:
    """rows: (booking_date, kind, amount, title[, component[, period]])."""
    with tenant_scope(tenant(slug)):
        for row in rows:
            booking, kind, amount, title, *rest = row
            component = rest[0] if rest else None
            period = rest[1] if len(rest) > 1 else booking.replace(day=1)
            db.session.add(LedgerEntry(
                external_id=f"LE{next(_serial)}", unit_id=unit_id, booking_date=booking,
                period=period, kind=kind, component=component, title=title,
                amount=Decimal(amount)))
        db.session.commit()


def schedule(slug: str, unit_id: int, amount: str, title: str, component: str | None = None,
             valid_from: date = date(2020, 1, 1), valid_to: date | None = None) -> None:
    with tenant_scope(tenant(slug)):
        db.session.add(ChargeSchedule(
            external_id=f"CS{next(_serial)}", unit_id=unit_id, component=component, title=title,
            amount=Decimal(amount), valid_from=valid_from, valid_to=valid_to))
        db.session.commit()
