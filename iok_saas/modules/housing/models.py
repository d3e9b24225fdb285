from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String, UniqueConstraint, and_, or_
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from iok_saas.extensions import db
from iok_saas.tenancy import TenantScoped, colocated_key, referable_by_tenant, tenant_id_column
from iok_saas.timeutil import utcnow

RESIDENTIAL = "residential"
COMMERCIAL = "commercial"
TITLE_KINDS = ("owner", "tenant", "member")


class Association(TenantScoped, db.Model):
    """A homeowners' association (wspólnota) or a building/estate of a cooperative."""

    __table_args__ = (UniqueConstraint("tenant_id", "external_id"), referable_by_tenant())

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(100))

    units: Mapped[list[Unit]] = relationship(back_populates="association")


class Unit(TenantScoped, db.Model):
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"), referable_by_tenant(),
                      colocated_key("association_id", "association"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # Overrides the mixin's column without its index: both unique keys above lead with
    # tenant_id, and a tenant_id index beside them misled the foreign-key check of every
    # ledger row (a plan without statistics scanned the tenant's units for the id).
    tenant_id: Mapped[int] = tenant_id_column(indexed=False)
    external_id: Mapped[str] = mapped_column(String(64))
    association_id: Mapped[int] = mapped_column(index=True)
    street: Mapped[str] = mapped_column(String(200))
    building_number: Mapped[str] = mapped_column(String(20))
    unit_number: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default=RESIDENTIAL)
    # The flat's individual bank account (26 digits, NRB) for payments.
    bank_account: Mapped[str | None] = mapped_column(String(26))

    association: Mapped[Association] = relationship(back_populates="units")

    @property
    def label(self) -> str:
        return unit_label(self.street, self.building_number, self.unit_number, self.city)


def unit_label(street: str, building_number: str, unit_number: str | None, city: str) -> str:
    """"Ogrodowa 3/12, Brzeg" (a unit without a number: the building's address)."""
    number = f"{building_number}/{unit_number}" if unit_number else building_number
    return f"{street} {number}, {city}"


class Person(TenantScoped, db.Model):
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"), referable_by_tenant())

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(150))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    correspondence_address: Mapped[str | None] = mapped_column(String(300))

    titles: Mapped[list[Title]] = relationship(back_populates="person")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Title(TenantScoped, db.Model):
    """A person's legal title to a unit (owner, tenant, member), valid over a period."""

    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),
                      colocated_key("person_id", "person"), colocated_key("unit_id", "unit"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(index=True)
    unit_id: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]

    person: Mapped[Person] = relationship(back_populates="titles")
    # Both keys carry tenant_id: each relationship would set it, to the same tenant's id.
    unit: Mapped[Unit] = relationship(overlaps="person,titles")

    @hybrid_method
    def current_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @current_on.expression
    def current_on(cls, day):  # noqa: N805  (the SQL form: called on the class)
        return and_(cls.valid_from <= day, or_(cls.valid_to.is_(None), cls.valid_to >= day))


class HousingRevision(TenantScoped, db.Model):
    """One row per tenant: a random stamp replaced whenever its associations, units or
    titles change (``housing.held.note_housing_changed``). Whoever memoises the
    housing data (the residents' units) keys it on the stamp; no row, no memo."""

    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stamp: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
