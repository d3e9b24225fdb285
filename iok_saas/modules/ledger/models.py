from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from iok_saas.extensions import db
from iok_saas.tenancy import TenantScoped, colocated_key, tenant_id_column

CHARGE = "charge"
PAYMENT = "payment"
CORRECTION = "correction"
INTEREST = "interest"
ENTRY_KINDS = (CHARGE, PAYMENT, CORRECTION, INTEREST)


class LedgerEntry(TenantScoped, db.Model):
    """One posted line of a unit's account with the manager.

    ``amount`` is signed from the resident's side: charges and interest increase what is
    owed (positive), payments decrease it (negative), corrections go either way. The balance
    is the plain sum; positive means an amount due, negative an overpayment.
    """

    # Every read is one unit's: its whole account for balances, one or more periods for a
    # statement (and a period's charges for the simulated month), in booking order.
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),
                      # Covering on PostgreSQL: a flat's balance sums its whole history
                      # from the index alone (no visit to each row's table page).
                      Index("ix_ledger_entry_unit_period", "tenant_id", "unit_id", "period",
                            "booking_date", postgresql_include=["component", "amount"]),
                      # One co-located key instead of two single-column ones: the unit must be
                      # this tenant's (a wall beneath scoping and RLS), the tenant follows from
                      # the unit, and an import pays one trigger check a row, not two.
                      colocated_key("unit_id", "unit"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # Overrides the mixin's column: no key of its own to tenant (the unit's key implies it)
    # and no index of its own (both indexes above lead with tenant_id).
    tenant_id: Mapped[int] = tenant_id_column(indexed=False, keyed=False)
    external_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int]
    booking_date: Mapped[date]
    # The month the entry settles (first day of that month).
    period: Mapped[date]
    kind: Mapped[str] = mapped_column(String(16))
    # Which charge the line belongs to (rent, loan, water…), where the manager splits them.
    component: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal]


class ChargeSchedule(TenantScoped, db.Model):
    """A monthly charge a unit owes while it is valid; posts on the due day.

    The ledger uses it to include the current month's charges before they are posted when
    the tenant's policy says to simulate them.
    """

    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),
                      colocated_key("unit_id", "unit"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(index=True)
    component: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal]
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    due_day: Mapped[int] = mapped_column(default=10)
