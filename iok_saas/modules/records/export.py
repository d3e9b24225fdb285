"""The person's membership records in their personal-data export."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.features import ExportSection

from .models import Membership


def sections(_account, person) -> list[ExportSection]:
    rows = [{
        "member_number": m.member_number, "member_since": m.member_since,
        "member_until": m.member_until, "contribution_due": m.contribution_due,
        "contribution_paid": m.contribution_paid, "share_due": m.share_due,
        "share_paid": m.share_paid,
    } for m in db.session.scalars(select(Membership)
                                  .where(Membership.person_id == person.id)
                                  .order_by(Membership.member_since))]
    return [ExportSection(
        "memberships", _l("Członkostwo"), rows, order=50,
        money_columns=frozenset({"contribution_due", "contribution_paid", "share_due",
                                 "share_paid"}))]
