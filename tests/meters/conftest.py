"""Meters fixtures: meters with an accepted (imported) history inside a tenant's scope."""

from __future__ import annotations

import html
import itertools
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.meters.models import ACCEPTED, Meter, MeterReading
from iok_saas.tenancy import tenant_scope

from ..factories import tenant

_serial = itertools.count(1)


def make_meter(slug: str, unit_id: int, history: list[tuple[date, str]] = (),
               kind: str = "cold_water", location: str | None = "łazienka") -> int:
    """A meter of ``unit_id`` with accepted manager readings ``history`` [(day, "m³")]."""
    with tenant_scope(tenant(slug)):
        n = next(_serial)
        meter = Meter(external_id=f"M{n}", unit_id=unit_id, serial_number=f"WM-{n:05d}",
                      kind=kind, location=location, installed_on=date(2020, 1, 15))
        db.session.add(meter)
        db.session.flush()
        for index, (day, value) in enumerate(history):
            db.session.add(MeterReading(external_id=f"M{n}-R{index}", meter_id=meter.id,
                                        read_on=day, value=Decimal(value), state=ACCEPTED))
        db.session.commit()
        return meter.id


def readings(slug: str, meter_id: int) -> list[MeterReading]:
    with tenant_scope(tenant(slug)):
        rows = list(db.session.scalars(select(MeterReading).where(
            MeterReading.meter_id == meter_id).order_by(MeterReading.id)))
        db.session.expunge_all()
        return rows


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))
