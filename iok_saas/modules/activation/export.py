"""The resident's activation codes in their personal-data export (never the code itself)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from iok_saas.extensions import db
from iok_saas.features import ExportSection

from .models import ActivationCode
from .services import STATE_LABELS


def sections(account, person) -> list[ExportSection]:
    codes = list(db.session.scalars(
        select(ActivationCode).where(ActivationCode.person_id == person.id)
        .options(joinedload(ActivationCode.unit)).order_by(ActivationCode.id)))
    rows = [{"hint": f"…{c.hint}", "unit": c.unit.label, "state": c.shown_state,
             "created_at": c.created_at, "expires_at": c.expires_at, "used_at": c.used_at,
             "email": c.email, "email_confirmed_at": c.email_confirmed_at} for c in codes]
    return [ExportSection(
        "activation_codes", _l("Kody aktywacyjne"), rows, order=31,
        labels={"hint": _l("Końcówka kodu"), "unit": _l("Lokal"), "state": _l("Stan"),
                "created_at": _l("Wydany"), "expires_at": _l("Ważny do"),
                "used_at": _l("Wykorzystany"), "email": _l("Adres e-mail"),
                "email_confirmed_at": _l("Adres potwierdzony")},
        vocabularies={"state": STATE_LABELS},
        audit_subjects=(("ActivationCode", tuple(c.id for c in codes)),))]
