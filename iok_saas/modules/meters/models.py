from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from iok_saas.extensions import db
from iok_saas.tenancy import TenantScoped, colocated_key, referable_by_tenant
from iok_saas.timeutil import utcnow

METER_KINDS = ("cold_water", "hot_water")
SOURCE_MANAGER = "manager"
SOURCE_RESIDENT = "resident"
SUBMITTED = "submitted"
ACCEPTED = "accepted"
REJECTED = "rejected"
READING_STATES = (SUBMITTED, ACCEPTED, REJECTED)


class Meter(TenantScoped, db.Model):
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"), referable_by_tenant(),
                      colocated_key("unit_id", "unit"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(index=True)
    serial_number: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    location: Mapped[str | None] = mapped_column(String(100))
    installed_on: Mapped[date | None]
    removed_on: Mapped[date | None]

    readings: Mapped[list[MeterReading]] = relationship(
        back_populates="meter", order_by="MeterReading.read_on")


class MeterReading(TenantScoped, db.Model):
    """A meter state: imported from the manager (accepted) or submitted by a resident."""

    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        # At most one resident reading per meter waits for staff (a double submit included).
        Index("uq_meter_reading_one_pending", "tenant_id", "meter_id", unique=True,
              sqlite_where=text("state = 'submitted'"),
              postgresql_where=text("state = 'submitted'")),
        colocated_key("meter_id", "meter"),
        colocated_key("submitted_by_account_id", "resident_account"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Set for readings that came from the manager's system; residents' have none.
    external_id: Mapped[str | None] = mapped_column(String(64))
    meter_id: Mapped[int] = mapped_column(index=True)
    read_on: Mapped[date]
    value: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    source: Mapped[str] = mapped_column(String(16), default=SOURCE_MANAGER)
    state: Mapped[str] = mapped_column(String(16), default=ACCEPTED)
    submitted_by_account_id: Mapped[int | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    staff_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    meter: Mapped[Meter] = relationship(back_populates="readings")
