"""The account's blocks and e-mail address changes in a resident's personal-data export."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.features import ExportSection

from .labels import CHANNEL_LABELS, TRIGGER_LABELS, UNBLOCK_LABELS
from .models import AccountBlock, EmailChange


def sections(account, _person) -> list[ExportSection]:
    rows = [{
        "blocked_at": b.blocked_at, "trigger": b.trigger, "channel": b.channel,
        "reason": b.reason, "blocked_by": b.blocked_by, "lifted_at": b.lifted_at,
        "lifted_by": b.lifted_by, "lift_method": b.lift_method,
    } for b in db.session.scalars(select(AccountBlock)
                                  .where(AccountBlock.account_id == account.id)
                                  .order_by(AccountBlock.blocked_at))]
    return [ExportSection("blocks", _l("Blokady konta"), rows, order=21,
                          vocabularies={"trigger": TRIGGER_LABELS, "channel": CHANNEL_LABELS,
                                        "lift_method": UNBLOCK_LABELS},
                          audit_subjects=(("ResidentAccount", (account.id,)),)),
            _email_changes(account)]


EMAIL_CHANGE_LABELS = {
    "requested_at": _l("Prośba z dnia"), "old_email": _l("Poprzedni adres"),
    "new_email": _l("Nowy adres"), "expires_at": _l("Odnośnik ważny do"),
    "confirmed_at": _l("Potwierdzono"), "voided_at": _l("Unieważniono"),
}


def _email_changes(account) -> ExportSection:
    """Every request to change the address (never the link's token)."""
    rows = [{key: getattr(change, key) for key in EMAIL_CHANGE_LABELS}
            for change in db.session.scalars(select(EmailChange)
                                             .where(EmailChange.account_id == account.id)
                                             .order_by(EmailChange.id))]
    return ExportSection("email_changes", _l("Zmiany adresu e-mail"), rows,
                         labels=EMAIL_CHANGE_LABELS, order=22)
