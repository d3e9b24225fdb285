"""The account's blocks in a resident's personal-data export."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.features import ExportSection

from .labels import CHANNEL_LABELS, TRIGGER_LABELS, UNBLOCK_LABELS
from .models import AccountBlock


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
                          audit_subjects=(("ResidentAccount", (account.id,)),))]
