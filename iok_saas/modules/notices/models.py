"""Paperless charge notices: consents, the imported notices and their lines, deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from iok_saas.extensions import db
from iok_saas.modules.notifications.models import OutboxMessage
from iok_saas.tenancy import TenantScoped, colocated_key, referable_by_tenant
from iok_saas.timeutil import utcnow


class NoticeConsent(TenantScoped, db.Model):
    """A resident's consent to electronic notices: given under one wording, maybe withdrawn.

    Rows are never deleted: a withdrawal closes the row, a new consent opens another, so the
    history shows what was agreed to and when."""

    __table_args__ = (
        # At most one consent in force per account (a double submit included).
        Index("uq_notice_consent_in_force", "tenant_id", "account_id", unique=True,
              sqlite_where=text("withdrawn_at IS NULL"),
              postgresql_where=text("withdrawn_at IS NULL")),
        colocated_key("account_id", "resident_account"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(index=True)
    version: Mapped[str] = mapped_column(String(40))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]


class ChargeNotice(TenantScoped, db.Model):
    """One unit's notice of charges for one period, as the manager's system sent it."""

    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),
                      Index("ix_charge_notice_period", "tenant_id", "period", "unit_id"),
                      referable_by_tenant(), colocated_key("unit_id", "unit"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int]
    period: Mapped[date]          # first day of the month the charges apply from
    due_day: Mapped[int]          # day of the month the charges are due
    note: Mapped[str | None] = mapped_column(String(500))
    published_at: Mapped[datetime | None]  # set when staff publish the period
    first_opened_at: Mapped[datetime | None]  # first download by any resident of the unit
    # Set when the manager supplied the notice as a ready PDF (stored by its SHA-256): that
    # file is served and attached instead of one rendered from the lines.
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))

    lines: Mapped[list[ChargeNoticeLine]] = relationship(
        order_by="ChargeNoticeLine.id", viewonly=True)


class ChargeNoticeLine(TenantScoped, db.Model):
    """One charge of a notice (one component: maintenance, repair fund, water…)."""

    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),
                      colocated_key("notice_id", "charge_notice"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64))
    notice_id: Mapped[int] = mapped_column(index=True)
    component: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str | None] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))


class NoticeDelivery(TenantScoped, db.Model):
    """A notice sent to one consenting account: its e-mail and the first opening.

    The unique key is what makes sending exactly-once: a notice is queued for an account
    once, and its outbox row is written in the same transaction as ``outbox_message_id``."""

    __table_args__ = (UniqueConstraint("tenant_id", "notice_id", "account_id"),
                      colocated_key("notice_id", "charge_notice"),
                      colocated_key("account_id", "resident_account"),
                      colocated_key("outbox_message_id", "outbox_message"))

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(index=True)
    account_id: Mapped[int] = mapped_column(index=True)
    email: Mapped[str] = mapped_column(String(254))
    outbox_message_id: Mapped[int | None]
    outbox_message: Mapped[OutboxMessage | None] = relationship()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime | None]     # rendered and handed to the outbox
    opened_at: Mapped[datetime | None]     # first download by the resident ("read receipt")


@dataclass(frozen=True)
class ChargeNoticePeriod:
    """The audit subject of a period (publishing it, loading its PDFs): a period has no row
    of its own, so its id is YYYYMM."""

    period: date

    @property
    def id(self) -> int:
        return self.period.year * 100 + self.period.month
