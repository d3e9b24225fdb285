from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from iok_saas.extensions import db
from iok_saas.modules.auth.models import OPERATOR
from iok_saas.timeutil import utcnow


class Operator(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Sessions started before this moment are over (set at logout): the session cookie is
    # signed but client-side, so a copy taken before the logout must not stay valid.
    sessions_ended_at: Mapped[datetime | None]

    user_kind = OPERATOR  # what the guards in auth.guards check

    def get_id(self) -> str:
        return f"operator:{self.id}"

    @property
    def is_active(self) -> bool:
        return self.active
