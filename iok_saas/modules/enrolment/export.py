"""The resident's applications in their personal-data export."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from iok_saas.extensions import db
from iok_saas.features import ExportSection

from .models import Application
from .services import APPLICANT_LABELS, CHANNEL_LABELS, KIND_LABELS, STATE_LABELS


def sections(account, person) -> list[ExportSection]:
    applications = list(db.session.scalars(
        select(Application).where(or_(Application.person_id == person.id,
                                      Application.account_id == account.id))
        .order_by(Application.submitted_at)))
    rows = [{
        "number": a.number, "kind": a.kind, "channel": a.channel, "state": a.state,
        "submitted_at": a.submitted_at, "first_name": a.first_name,
        "last_name": a.last_name, "email": a.email, "phone": a.phone,
        "applicant_type": a.applicant_type,
        "address": " ".join(part for part in (a.street, a.building_number,
                                              a.flat_number and f"/ {a.flat_number}",
                                              a.city) if part) or None,
        "note": a.applicant_note, "rejection_reason": a.rejection_reason,
        "closed_at": a.closed_at,
    } for a in applications]
    return [ExportSection(
        "applications", _l("Wnioski o dostęp do serwisu"), rows, order=30,
        vocabularies={"kind": KIND_LABELS, "state": STATE_LABELS, "channel": CHANNEL_LABELS,
                      "applicant_type": APPLICANT_LABELS},
        audit_subjects=(("Application", tuple(a.id for a in applications)),))]
