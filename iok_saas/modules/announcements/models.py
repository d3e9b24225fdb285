from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from iok_saas.extensions import db
from iok_saas.modules.housing.models import Association
from iok_saas.tenancy import TenantScoped, colocated_key, referable_by_tenant
from iok_saas.timeutil import utcnow


class Announcement(TenantScoped, db.Model):
    """A manager's announcement: for the whole tenant, or for chosen buildings only."""

    __table_args__ = (referable_by_tenant(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body_markdown: Mapped[str] = mapped_column(Text)
    # Sanitised HTML rendered from the Markdown when saved.
    body_html: Mapped[str] = mapped_column(Text)
    publish_at: Mapped[datetime]
    email_residents: Mapped[bool] = mapped_column(default=False)
    emailed_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    targets: Mapped[list[AnnouncementTarget]] = relationship(cascade="all, delete-orphan")


class AnnouncementTarget(TenantScoped, db.Model):
    """A building (association) an announcement is limited to; none means everyone."""

    __table_args__ = (colocated_key("announcement_id", "announcement"),
                      colocated_key("association_id", "association"))

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(index=True)
    association_id: Mapped[int]

    # Both keys carry tenant_id: each relationship would set it, to the same tenant's id.
    association: Mapped[Association] = relationship(overlaps="targets")


