"""Server-side sessions, login attempts and password history, for residents and staff.

Rows are keyed by (user_kind, user_id) so one mechanism serves every kind of tenant user.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from iok_saas.extensions import db
from iok_saas.tenancy import TenantScoped
from iok_saas.timeutil import utcnow

RESIDENT = "resident"
STAFF = "staff"
OPERATOR = "operator"


class UserSession(TenantScoped, db.Model):
    """One login. The cookie carries only ``id``; ending a row ends that session everywhere."""

    __table_args__ = (Index("ix_user_session_user", "tenant_id", "user_kind", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(40))
    client: Mapped[str | None] = mapped_column(String(200))


class LoginAttempt(TenantScoped, db.Model):
    """Every password check, kept in the database so lockouts hold across workers."""

    __table_args__ = (Index("ix_login_attempt_login", "tenant_id", "login", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(80))
    user_kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    success: Mapped[bool]
    client: Mapped[str | None] = mapped_column(String(64))


class PasswordHistory(TenantScoped, db.Model):
    __table_args__ = (Index("ix_password_history_user", "tenant_id", "user_kind", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int]
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
