from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from iok_saas.extensions import db
from iok_saas.modules.auth.models import RESIDENT
from iok_saas.modules.housing.models import Person
from iok_saas.tenancy import TenantScoped, colocated_key, referable_by_tenant
from iok_saas.timeutil import utcnow

# Account states; every transition is audited.
PENDING = "pending"            # prepared, credentials not handed over yet
MUST_CHANGE = "must_change"    # initial one-time password issued; first login pending
ACTIVE = "active"
BLOCKED = "blocked"
REVOKED = "revoked"            # permanent: access removed
STATES = (PENDING, MUST_CHANGE, ACTIVE, BLOCKED, REVOKED)


class ResidentAccount(UserMixin, TenantScoped, db.Model):
    __table_args__ = (UniqueConstraint("tenant_id", "login"),
                      UniqueConstraint("tenant_id", "person_id"), referable_by_tenant(),
                      colocated_key("person_id", "person"))

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int]
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # The initial password's expiry (None once the resident chose their own).
    initial_password_expires_at: Mapped[datetime | None]
    # Serial printed on the latest credentials letter; recovery by document checks it.
    letter_number: Mapped[str | None] = mapped_column(String(32))
    password_changed_at: Mapped[datetime | None]
    regulations_version: Mapped[str | None] = mapped_column(String(40))
    locked_until: Mapped[datetime | None]
    # Failed logins before this moment no longer count (a recovery or an unlock resets them).
    failures_reset_at: Mapped[datetime | None]
    # The resident opted in to receiving the manager's announcements by e-mail.
    email_announcements: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()
    # The tenant's live housing stamp, loaded with the signed-in account (see
    # accounts.services.ACCOUNT_WITH_PERSON and housing.held); None when not asked for.
    housing_stamp: Mapped[str | None] = query_expression()

    user_kind = RESIDENT  # what the guards in auth.guards check

    def get_id(self) -> str:
        return f"resident:{self.id}"

    @property
    def is_active(self) -> bool:
        return self.state in (MUST_CHANGE, ACTIVE)


class AccountBlock(TenantScoped, db.Model):
    """Why and by whom an account was blocked, and how the block ended."""

    __table_args__ = (colocated_key("account_id", "resident_account"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(index=True)
    trigger: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500))
    blocked_by: Mapped[str] = mapped_column(String(200))
    blocked_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(200))
    lift_method: Mapped[str | None] = mapped_column(String(40))


class EmailChange(TenantScoped, db.Model):
    """A resident's request to use a new e-mail address. Nothing changes until the link sent
    to the new address is opened: the link's token is kept only as its SHA-256, works once
    and expires; a newer request, a changed address or a block voids it."""

    __table_args__ = (UniqueConstraint("tenant_id", "token_hash"),
                      colocated_key("account_id", "resident_account"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    old_email: Mapped[str | None] = mapped_column(String(254))
    new_email: Mapped[str] = mapped_column(String(254))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
