"""One-time activation codes: bound to a unit and a person, stored as a hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from iok_saas.extensions import db
from iok_saas.modules.housing.models import Person, Unit
from iok_saas.tenancy import TenantScoped, colocated_key
from iok_saas.timeutil import as_utc, utcnow

ACTIVE = "active"
USED = "used"
REVOKED = "revoked"
LOCKED = "locked"      # too many wrong flat numbers or amounts
EXPIRED = "expired"    # never stored: an active code past its expiry
STATES = (ACTIVE, USED, EXPIRED, REVOKED, LOCKED)


class ActivationCode(TenantScoped, db.Model):
    __table_args__ = (UniqueConstraint("tenant_id", "code_hash"),
                      Index("ix_activation_code_tenant_state", "tenant_id", "state"),
                      colocated_key("unit_id", "unit"), colocated_key("person_id", "person"),
                      colocated_key("account_id", "resident_account"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    hint: Mapped[str] = mapped_column(String(4))  # the last characters, for staff to tell
    unit_id: Mapped[int] = mapped_column(index=True)
    person_id: Mapped[int] = mapped_column(index=True)
    batch: Mapped[str] = mapped_column(String(16), index=True)
    state: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    used_at: Mapped[datetime | None]
    account_id: Mapped[int | None]
    # The address the resident gave, until they confirm it by the link sent there.
    email: Mapped[str | None] = mapped_column(String(254))
    email_confirmed_at: Mapped[datetime | None]
    # Replaced when the link is used: a confirmation link works once.
    link_nonce: Mapped[str | None] = mapped_column(String(32))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(200))

    unit: Mapped[Unit] = relationship()
    # Both keys carry tenant_id: each relationship would set it, to the same tenant's id.
    person: Mapped[Person] = relationship(overlaps="unit")

    @property
    def shown_state(self) -> str:
        """The state staff see: an active code past its expiry is expired."""
        if self.state == ACTIVE and as_utc(self.expires_at) <= utcnow():
            return EXPIRED
        return self.state
