"""Read-only records imported from the manager's system: membership, court cases, land
purchase costs and other services (sale/purchase)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from iok_saas.extensions import db
from iok_saas.tenancy import TenantScoped, colocated_key


class Membership(TenantScoped, db.Model):
    """A person's membership of the cooperative: entry contribution and membership share."""

    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),
                      colocated_key("person_id", "person"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(index=True)
    member_number: Mapped[str | None] = mapped_column(String(40))
    member_since: Mapped[date]
    member_until: Mapped[date | None]
    contribution_due: Mapped[Decimal]
    contribution_paid: Mapped[Decimal]
    share_due: Mapped[Decimal]
    share_paid: Mapped[Decimal]

    @property
    def contribution_remaining(self) -> Decimal:
        return self.contribution_due - self.contribution_paid

    @property
    def share_remaining(self) -> Decimal:
        return self.share_due - self.share_paid


class CourtCase(TenantScoped, db.Model):
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),
                      colocated_key("unit_id", "unit"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(index=True)
    case_number: Mapped[str] = mapped_column(String(60))
    court: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    claim_amount: Mapped[Decimal]
    filed_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(100))
    closed_on: Mapped[date | None]

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class LandCost(TenantScoped, db.Model):
    """A unit's share of the cost of buying the land under its building."""

    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),
                      colocated_key("unit_id", "unit"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(index=True)
    description: Mapped[str] = mapped_column(String(300))
    amount: Mapped[Decimal]
    paid: Mapped[Decimal]
    due_date: Mapped[date | None]

    @property
    def remaining(self) -> Decimal:
        """Still to pay; below zero when more was paid than charged."""
        return self.amount - self.paid


class ServiceCharge(TenantScoped, db.Model):
    """A sale or purchase of another service (invoice or note) tied to a unit."""

    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),
                      colocated_key("unit_id", "unit"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(index=True)
    document_number: Mapped[str] = mapped_column(String(60))
    issued_on: Mapped[date]
    description: Mapped[str] = mapped_column(String(300))
    amount: Mapped[Decimal]
    paid: Mapped[Decimal]
    due_date: Mapped[date | None]

    @property
    def remaining(self) -> Decimal:
        """Still to pay; below zero when more was paid than charged."""
        return self.amount - self.paid
