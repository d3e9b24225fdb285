from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from iok_saas.extensions import db
from iok_saas.tenancy import TenantScoped, colocated_key, referable_by_tenant
from iok_saas.timeutil import utcnow

PLACES = ("flat", "staircase", "building")
NEW = "new"
IN_PROGRESS = "in_progress"
RESOLVED = "resolved"
STATUSES = (NEW, IN_PROGRESS, RESOLVED)


class FaultReport(TenantScoped, db.Model):
    __table_args__ = (referable_by_tenant(), colocated_key("unit_id", "unit"),
                      colocated_key("account_id", "resident_account"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(index=True)
    account_id: Mapped[int] = mapped_column(index=True)
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

    __table_args__ = (colocated_key("fault_id", "fault_report"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fault_id: Mapped[int] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FaultPhoto(TenantScoped, db.Model):
    """The optional photo, kept in the database so it shares the report's tenant scope."""

    __table_args__ = (UniqueConstraint("tenant_id", "fault_id"),
                      colocated_key("fault_id", "fault_report"))

    id: Mapped[int] = mapped_column(primary_key=True)
    fault_id: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(40))
    # Deferred: pages that only ask whether there is a photo do not load its bytes.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
