"""The meter readings the resident submitted, in their personal-data export."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.features import ExportSection
from iok_saas.modules.housing.export import unit_labels

from .models import Meter, MeterReading
from .services import KIND_LABELS, STATE_LABELS


def sections(account, _person) -> list[ExportSection]:
    readings = list(db.session.execute(
        select(MeterReading, Meter).join(Meter, Meter.id == MeterReading.meter_id)
        .where(MeterReading.submitted_by_account_id == account.id)
        .order_by(MeterReading.id)))
    units = unit_labels(m.unit_id for _r, m in readings)
    rows = [{
        "created_at": r.created_at, "unit": units.get(m.unit_id),
        "meter": m.serial_number, "meter_kind": m.kind, "read_on": r.read_on,
        "value": r.value, "state": r.state, "decided_at": r.decided_at,
        "staff_comment": r.staff_comment,
    } for r, m in readings]
    return [ExportSection(
        "meter_readings", _l("Podane odczyty wodomierzy"), rows, order=43,
        vocabularies={"state": STATE_LABELS, "meter_kind": KIND_LABELS},
        audit_subjects=(("MeterReading", tuple(r.id for r, _m in readings)),))]
