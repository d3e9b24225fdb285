"""The resident's fault reports in their personal-data export."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.features import ExportSection
from iok_saas.modules.housing.export import unit_labels

from .models import FaultReport
from .services import PLACE_LABELS, STATUS_LABELS


def sections(account, _person) -> list[ExportSection]:
    faults = list(db.session.scalars(
        select(FaultReport).where(FaultReport.account_id == account.id)
        .order_by(FaultReport.id)))
    units = unit_labels(f.unit_id for f in faults)
    rows = [{
        "created_at": f.created_at, "unit": units.get(f.unit_id), "category": f.category,
        "place": f.place, "description": f.description, "status": f.status,
        "updated_at": f.updated_at, "has_photo": f.photo is not None,
        "history": [{"at": e.created_at, "status": e.status, "comment": e.comment}
                    for e in f.events],
    } for f in faults]
    return [ExportSection(
        "fault_reports", _l("Zgłoszenia usterek"), rows, order=41,
        vocabularies={"place": PLACE_LABELS, "status": STATUS_LABELS},
        audit_subjects=(("FaultReport", tuple(f.id for f in faults)),))]
