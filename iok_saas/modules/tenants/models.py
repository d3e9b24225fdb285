"""The tenant registry: platform-level tables (not tenant-owned themselves)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from iok_saas.extensions import db
from iok_saas.timeutil import utcnow


class Tenant(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    short_name: Mapped[str] = mapped_column(String(120))
    legal_name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(8), default="pl")
    status: Mapped[str] = mapped_column(String(16), default="active")
    # Offboarding: when set, the tenant is suspended and its data are purged on this date.
    deletion_due: Mapped[datetime | None] = mapped_column(default=None)
    # Address, contact, tax ids, departments, branding, regulations: the validated manifest.
    profile: Mapped[dict] = mapped_column(JSON, default=dict)
    policy_name: Mapped[str] = mapped_column(String(80))
    policy_source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    hosts: Mapped[list[TenantHost]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan", order_by="TenantHost.host"
    )

    @property
    def custom_hosts(self) -> list[str]:
        return [h.host for h in self.hosts]

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"


class TenantHost(db.Model):
    """A custom host name (e.g. iok.mzmk-brzeg.pl); <slug>.<base domain> needs no row."""

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    host: Mapped[str] = mapped_column(String(253), unique=True)

    tenant: Mapped[Tenant] = relationship(back_populates="hosts")


class PlatformState(db.Model):
    """One row; ``tenants_version`` moves whenever any tenant changes (cache invalidation)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    tenants_version: Mapped[int] = mapped_column(default=0)
