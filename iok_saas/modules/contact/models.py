from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from iok_saas.extensions import db
from iok_saas.tenancy import TenantScoped, colocated_key
from iok_saas.timeutil import utcnow

SUBMITTED = "submitted"
DONE = "done"
REJECTED = "rejected"
STATES = (SUBMITTED, DONE, REJECTED)


class ContactCorrection(TenantScoped, db.Model):
    """A resident's request to correct the contact data the manager holds about them."""

    __table_args__ = (colocated_key("account_id", "resident_account"),
                      colocated_key("person_id", "person"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(index=True)
    person_id: Mapped[int]
    # Field name -> the value the resident asks for (only the fields they changed).
    requested: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=SUBMITTED)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    staff_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
