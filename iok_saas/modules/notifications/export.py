"""The e-mails sent to the resident, in their personal-data export (subjects only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.features import ExportSection

from .models import OutboxMessage


def sections(_account, person) -> list[ExportSection]:
    # E-mails to the person's address under their name (a shared family address does not
    # reveal another member's messages); the subject only — bodies may carry one-time links.
    emails = list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == person.email,
                                    OutboxMessage.to_name == person.full_name)
        .order_by(OutboxMessage.created_at))) if person.email else []
    rows = [{"created_at": m.created_at, "email_subject": m.subject, "to": m.to_address,
             "sent_at": m.sent_at} for m in emails]
    return [ExportSection("emails", _l("Wysłane do Ciebie wiadomości e-mail"), rows, order=31)]
