"""The resident's occupant declarations in their personal-data export."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.features import ExportSection
from iok_saas.modules.housing.export import unit_labels

from .models import OccupantsChange
from .services import STATE_LABELS


def sections(account, _person) -> list[ExportSection]:
    declarations = list(db.session.scalars(
        select(OccupantsChange).where(OccupantsChange.account_id == account.id)
        .order_by(OccupantsChange.id)))
    units = unit_labels(o.unit_id for o in declarations)
    rows = [{
        "created_at": o.created_at, "unit": units.get(o.unit_id),
        "occupants": o.occupants, "effective_from": o.effective_from, "note": o.note,
        "state": o.state, "decided_at": o.decided_at, "staff_comment": o.staff_comment,
    } for o in declarations]
    return [ExportSection(
        "occupant_declarations", _l("Deklaracje liczby osób"), rows, order=42,
        vocabularies={"state": STATE_LABELS},
        audit_subjects=(("OccupantsChange", tuple(o.id for o in declarations)),))]
