"""The document library: documents, their versions (files), and residents' last visits."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from iok_saas.extensions import db
from iok_saas.tenancy import TenantScoped, colocated_key, referable_by_tenant
from iok_saas.timeutil import utcnow

PUBLIC = "public"
RESIDENTS = "residents"
MEMBERS = "members"
OWNERS = "owners"
AUDIENCES = (PUBLIC, RESIDENTS, MEMBERS, OWNERS)


class Document(TenantScoped, db.Model):
    """One document (a resolution, the statute…) whatever its versions; who may read it."""

    __table_args__ = (referable_by_tenant(), colocated_key("association_id", "association"))

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    number: Mapped[str | None] = mapped_column(String(60))
    adopted_on: Mapped[date | None]
    valid_until: Mapped[date | None]
    audience: Mapped[str] = mapped_column(String(16))
    # The association whose owners may read it (audience "owners" only).
    association_id: Mapped[int | None]
    published_at: Mapped[datetime]
    email_audience: Mapped[bool] = mapped_column(default=False)
    emailed_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[DocumentVersion]] = relationship(
        order_by="DocumentVersion.number.desc()", back_populates="document",
        cascade="all, delete-orphan")

    @property
    def current(self) -> DocumentVersion | None:
        return self.versions[0] if self.versions else None


class DocumentVersion(TenantScoped, db.Model):
    """A file of a document; the highest number is current, the older ones stay readable."""

    __table_args__ = (UniqueConstraint("tenant_id", "document_id", "number"),
                      colocated_key("document_id", "document"))

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(index=True)
    number: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(300))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="versions")


class DocumentVisit(TenantScoped, db.Model):
    """When a resident last opened the library: later documents are marked new."""

    __table_args__ = (UniqueConstraint("tenant_id", "account_id"),
                      colocated_key("account_id", "resident_account"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int]
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
