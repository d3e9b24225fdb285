from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from iok_saas.extensions import db
from iok_saas.modules.auth.models import STAFF
from iok_saas.tenancy import TenantScoped
from iok_saas.timeutil import utcnow

ROLE_ADMIN = "admin"
ROLE_STAFF = "staff"


class StaffMember(UserMixin, TenantScoped, db.Model):
    __table_args__ = (UniqueConstraint("tenant_id", "login"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(80))
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    department: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(16), default=ROLE_STAFF)
    password_hash: Mapped[str] = mapped_column(String(200))
    # A one-time password handed over by the operator or an administrator.
    must_change_password: Mapped[bool] = mapped_column(default=True)
    password_expires_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user_kind = STAFF  # what the guards in auth.guards check

    def get_id(self) -> str:
        return f"staff:{self.id}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN
