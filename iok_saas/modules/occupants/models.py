from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from iok_saas.extensions import db
from iok_saas.tenancy import TenantScoped, colocated_key
from iok_saas.timeutil import utcnow

SUBMITTED = "submitted"
CONFIRMED = "confirmed"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"  # by the resident, before staff decided
STATES = (SUBMITTED, CONFIRMED, REJECTED, WITHDRAWN)


class OccupantsChange(TenantScoped, db.Model):
    """A resident's declaration of how many people live in a unit from a given day."""

    __table_args__ = (
        # At most one declaration per unit waits for staff (a double submit included).
        Index("uq_occupants_change_one_pending", "tenant_id", "unit_id", unique=True,
              sqlite_where=text("state = 'submitted'"),
              postgresql_where=text("state = 'submitted'")),
        colocated_key("unit_id", "unit"),
        colocated_key("account_id", "resident_account"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(index=True)
    account_id: Mapped[int] = mapped_column(index=True)
    occupants: Mapped[int]
    effective_from: Mapped[date]
    note: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=SUBMITTED)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    staff_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
