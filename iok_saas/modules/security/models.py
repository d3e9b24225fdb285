from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from iok_saas.extensions import db
from iok_saas.tenancy import TenantScoped
from iok_saas.timeutil import utcnow

SIGNED_IN = "signed_in"
WRONG_PASSWORD = "wrong_password"  # noqa: S105 (an outcome name, not a secret)
WRONG_CODE = "wrong_code"
OUTCOMES = (SIGNED_IN, WRONG_PASSWORD, WRONG_CODE)


class SignInEvent(TenantScoped, db.Model):
    """One sign-in or failed attempt of a known user, as the user's history shows it."""

    __table_args__ = (Index("ix_sign_in_event_user", "tenant_id", "user_kind", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(20))
    client: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
