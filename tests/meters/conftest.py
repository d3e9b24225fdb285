"""Meters fixtures: meters with an accepted (imported) history inside a tenant's scope."""

from __future__ import annotations

import html

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.meters.models import MeterReading
from iok_saas.tenancy import tenant_scope

from ..factories import tenant


def readings(slug: str, meter_id: int) -> list[MeterReading]:
    with tenant_scope(tenant(slug)):
        rows = list(db.session.scalars(select(MeterReading).where(
            MeterReading.meter_id == meter_id).order_by(MeterReading.id)))
        db.session.expunge_all()
        return rows


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))
