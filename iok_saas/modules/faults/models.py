from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from iok_saas.extensions import db
from iok_saas.tenancy import TenantScoped
from iok_saas.timeutil import utcnow

PLACES = ("flat", "staircase", "building")
NEW = "new"
IN_PROGRESS = "in_progress"
RESOLVED = "resolved"
STATUSES = (NEW, IN_PROGRESS, RESOLVED)


class FaultReport(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("resident_account.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    place: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=NEW)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    events: Mapped[list[FaultEvent]] = relationship(order_by="FaultEvent.id")
    photo: Mapped[FaultPhoto | None] = relationship(uselist=False)


class FaultEvent(TenantScoped, db.Model):
    """One step of a report's history: a status change and/or a staff comment."""

    id: Mapped[int] = mapped_column(primary_key=True)
    fault_id: Mapped[int] = mapped_column(ForeignKey("fault_report.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FaultPhoto(TenantScoped, db.Model):
    """The optional photo, kept in the database so it shares the report's tenant scope."""

    id: Mapped[int] = mapped_column(primary_key=True)
    fault_id: Mapped[int] = mapped_column(ForeignKey("fault_report.id"), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    # Deferred: pages that only ask whether there is a photo do not load its bytes.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
