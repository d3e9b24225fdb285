"""Votes on resolutions: the vote, its frozen electorate, the ballots and their event chain.

The electorate is frozen when the vote is opened (``Elector`` rows: one per unit of the
association for owners, one per member), so a later import cannot change who counts or
how much; one ``Ballot`` row per elector (a unique key) is the current vote; every cast,
change and paper ballot is also an append-only ``BallotEvent`` whose hash covers the
previous event's hash, so an edited or deleted event breaks the chain (`flask voting
verify`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from iok_saas.extensions import db
from iok_saas.tenancy import TenantScoped, colocated_key, referable_by_tenant
from iok_saas.timeutil import utcnow

OWNERS_BY_SHARE = "owners_by_share"
MEMBERS = "members"
FOR, AGAINST, ABSTAIN = "for", "against", "abstain"
CHOICES = (FOR, AGAINST, ABSTAIN)
ELECTRONIC, PAPER = "electronic", "paper"
SHARE = Numeric(12, 6)


class UnitShare(TenantScoped, db.Model):
    """A unit's share in the common property (udział), from the manager's system."""

    # No unique key on the unit: an import with two rows for one unit must not fail with a
    # database error; opening a vote refuses such a unit by name instead.
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),
                      colocated_key("unit_id", "unit"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(index=True)
    share: Mapped[Decimal] = mapped_column(SHARE)


class Vote(TenantScoped, db.Model):
    __table_args__ = (referable_by_tenant(), colocated_key("association_id", "association"))

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    resolution: Mapped[str] = mapped_column(Text)
    # The association whose owners vote (owners_by_share), or None (members).
    association_id: Mapped[int | None]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # The policy's rules as they were when the vote was opened.
    electorate: Mapped[str] = mapped_column(String(20))
    quorum_percent: Mapped[int] = mapped_column(Integer)
    majority: Mapped[str] = mapped_column(String(10))
    may_change: Mapped[bool]
    paper_ballot: Mapped[str] = mapped_column(String(10))
    joint_owners: Mapped[str] = mapped_column(String(12))
    reminder_hours: Mapped[int] = mapped_column(Integer)
    reminded_at: Mapped[datetime | None]
    # Set once by closing: the totals at the close, and the outcome.
    closed_at: Mapped[datetime | None]
    total_weight: Mapped[Decimal] = mapped_column(SHARE)
    for_weight: Mapped[Decimal | None] = mapped_column(SHARE)
    against_weight: Mapped[Decimal | None] = mapped_column(SHARE)
    abstain_weight: Mapped[Decimal | None] = mapped_column(SHARE)
    quorum_met: Mapped[bool | None]
    adopted: Mapped[bool | None]
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    attachments: Mapped[list[VoteAttachment]] = relationship(cascade="all, delete-orphan")
    electors: Mapped[list[Elector]] = relationship(order_by="Elector.label",
                                                   cascade="all, delete-orphan")


class VoteAttachment(TenantScoped, db.Model):
    __table_args__ = (UniqueConstraint("tenant_id", "vote_id", "document_id"),
                      colocated_key("vote_id", "vote"), colocated_key("document_id", "document"))

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(index=True)
    document_id: Mapped[int]


class Elector(TenantScoped, db.Model):
    """One vote of the electorate: a unit (its owners share it) or a member."""

    __table_args__ = (UniqueConstraint("tenant_id", "vote_id", "key"), referable_by_tenant(),
                      colocated_key("vote_id", "vote"), colocated_key("unit_id", "unit"),
                      colocated_key("person_id", "person"))

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(index=True)
    key: Mapped[str] = mapped_column(String(40))  # "unit:<id>" or "person:<id>"
    unit_id: Mapped[int | None]
    person_id: Mapped[int | None]
    label: Mapped[str] = mapped_column(String(300))
    weight: Mapped[Decimal] = mapped_column(SHARE)


class Ballot(TenantScoped, db.Model):
    """The elector's current vote (one row per elector: nobody is counted twice)."""

    __table_args__ = (UniqueConstraint("tenant_id", "vote_id", "elector_id"),
                      colocated_key("vote_id", "vote"), colocated_key("elector_id", "elector"),
                      colocated_key("person_id", "person"))

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(index=True)
    elector_id: Mapped[int]
    choice: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(12))
    # Who cast it: the resident (electronic) or None (a paper ballot staff entered).
    person_id: Mapped[int | None]
    scan_sha256: Mapped[str | None] = mapped_column(String(64))
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)

    elector: Mapped[Elector] = relationship()


class BallotEvent(TenantScoped, db.Model):
    """Append-only: every ballot, change, paper ballot and the close, hash-chained."""

    __table_args__ = (UniqueConstraint("tenant_id", "vote_id", "seq"),
                      colocated_key("vote_id", "vote"), colocated_key("elector_id", "elector"))

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # cast | changed | paper | closed
    elector_id: Mapped[int | None]
    choice: Mapped[str | None] = mapped_column(String(10))
    channel: Mapped[str | None] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(200))
    scan_sha256: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
