"""Applications for access (enrolment) and for revocation or block of access.

An application is filed once (one of the policy's filing steps) and then stands at exactly
one step of its ``plan`` at a time; ``plan`` is fixed at filing from the tenant policy's
``enrolment.later_steps`` (or the single revocation review). Every transition is audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.housing.models import Person
from iok_saas.tenancy import TenantScoped, colocated_key
from iok_saas.timeutil import utcnow

ACCESS = "access"
REVOCATION = "revocation"
KINDS = (ACCESS, REVOCATION)

CHANNELS = ("electronic", "paper", "in_person", "email_scan")

# States besides the plan's step names (confirm_email, staff_review, in_person_pickup, …).
CORRECTION = "correction_requested"   # staff asked the applicant to correct the data
COMPLETED = "completed"
REJECTED = "rejected"
CLOSED_STATES = (COMPLETED, REJECTED)
REVOCATION_REVIEW = "revocation_review"   # the one step of a revocation application


class Application(TenantScoped, db.Model):
    __table_args__ = (UniqueConstraint("tenant_id", "number"),
                      Index("ix_application_tenant_state", "tenant_id", "state"),
                      colocated_key("person_id", "person"),
                      colocated_key("account_id", "resident_account"))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    filing_step: Mapped[str] = mapped_column(String(32))
    # The steps after filing that this application passes, in order (fixed at filing).
    plan: Mapped[list] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(32))
    # Optimistic lock: a second click or a stale form cannot apply a transition twice.
    version: Mapped[int] = mapped_column()
    # Rotated on every transition; links sent to the applicant carry it (single use).
    token_nonce: Mapped[str] = mapped_column(String(32))

    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(150))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    applicant_type: Mapped[str | None] = mapped_column(String(32))
    street: Mapped[str | None] = mapped_column(String(200))
    building_number: Mapped[str | None] = mapped_column(String(20))
    flat_number: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    regulations_version: Mapped[str | None] = mapped_column(String(40))
    applicant_note: Mapped[str | None] = mapped_column(String(500))
    entered_by: Mapped[str | None] = mapped_column(String(200))

    person_id: Mapped[int | None] = mapped_column(index=True)
    account_id: Mapped[int | None] = mapped_column(index=True)
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    correction_note: Mapped[str | None] = mapped_column(String(500))

    # Revocation applications only.
    revocation_reason: Mapped[str | None] = mapped_column(String(16))
    revocation_choice: Mapped[str | None] = mapped_column(String(24))

    # In-person pickup record (the identity document's type only, never its number).
    pickup_document_type: Mapped[str | None] = mapped_column(String(32))
    pickup_receipt_signed: Mapped[bool | None]
    pickup_application_signed: Mapped[bool | None]
    pickup_scheduled_for: Mapped[str | None] = mapped_column(String(200))

    # Timestamps per step.
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    email_confirmed_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    correction_requested_at: Mapped[datetime | None]
    corrected_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    ready_notified_at: Mapped[datetime | None]
    picked_up_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    state_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person | None] = relationship()
    # Both keys carry tenant_id: each relationship would set it, to the same tenant's id.
    account: Mapped[ResidentAccount | None] = relationship(overlaps="person")

    __mapper_args__ = {"version_id_col": version}

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def unit_label(self) -> str:
        if not self.street:
            return ""
        number = f"{self.building_number}/{self.flat_number}" if self.flat_number \
            else (self.building_number or "")
        return f"{self.street} {number}, {self.city}".strip()

    @property
    def closed(self) -> bool:
        return self.state in CLOSED_STATES
