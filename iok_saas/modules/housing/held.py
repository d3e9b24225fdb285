"""The units a person holds a title to today, as plain values, memoised per worker.

Nearly every resident page asks which units the resident holds (to authorise a unit id,
to fill a picker, to filter announcements). Those change only when the cooperative's
housing data change, and every such change replaces the tenant's ``HousingRevision``
stamp in the same transaction (``note_housing_changed``). The signed-in resident's row
comes with the live stamp (``stamp_of``, a column of the session's statement), so the
answer is memoised under (tenant, person, day, stamp): a change is seen on the very next
request, never later. A tenant with no stamp yet (data written without one) is never
memoised. The values are frozen dataclasses, safe to share between requests, unlike ORM
objects bound to one request's session.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy import Date, Integer, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from iok_saas.extensions import db
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import utcnow

from .models import Association, HousingRevision, Title, Unit, unit_label

MEMO_SIZE = 8192  # (person, day, stamp) answers kept per worker; each is a few hundred bytes

_UNIT_COLUMNS = (Unit.id, Unit.external_id, Unit.association_id, Unit.street,
                 Unit.building_number, Unit.unit_number, Unit.city, Unit.kind,
                 Unit.bank_account)
_ASSOCIATION_COLUMNS = (Association.id, Association.name, Association.street,
                        Association.postal_code, Association.city)


@dataclass(frozen=True)
class HeldAssociation:
    id: int
    name: str
    street: str
    postal_code: str | None
    city: str


@dataclass(frozen=True)
class HeldUnit:
    """A unit as the resident's pages show it (the columns of ``Unit`` they read)."""

    id: int
    external_id: str
    association_id: int
    street: str
    building_number: str
    unit_number: str | None
    city: str
    kind: str
    bank_account: str | None
    association: HeldAssociation

    @property
    def label(self) -> str:
        return unit_label(self.street, self.building_number, self.unit_number, self.city)


def held_units(person_id: int, today: date, stamp: str | None) -> list[HeldUnit]:
    """The units ``person_id`` holds a title to on ``today``, each once, in address order
    (a new list: the caller may change it)."""
    if stamp is None:
        return list(_query_held_units(person_id, today))
    return list(_memoised(current_tenant.id, person_id, today, stamp))


@lru_cache(maxsize=MEMO_SIZE)
def _memoised(_tenant_id: int, person_id: int, today: date, _stamp: str) -> tuple:
    """The tenant is part of the key, so an answer is only ever reused in the tenant
    that asked for it."""
    return _query_held_units(person_id, today)


def _query_held_units(person_id: int, today: date) -> tuple[HeldUnit, ...]:
    rows = db.session.execute(_held_units_query(), {"person_id": person_id, "today": today})
    cut = len(_UNIT_COLUMNS)
    units = [HeldUnit(*row[:cut], association=HeldAssociation(*row[cut:])) for row in rows]
    return tuple(sorted(units, key=lambda u: (u.street, u.building_number, u.unit_number or "")))


@lru_cache(maxsize=1)
def _held_units_query():
    """Built once (person and day are bound parameters); the title test is in SQL, so
    only the units and their associations come back."""
    today = bindparam("today", type_=Date)
    held = (select(Title.id)
            .where(Title.unit_id == Unit.id,
                   Title.person_id == bindparam("person_id", type_=Integer),
                   Title.current_on(today))
            .exists())
    return (select(*_UNIT_COLUMNS, *_ASSOCIATION_COLUMNS)
            .join(Association, Association.id == Unit.association_id)
            .where(held))


def stamp_of(tenant_id_column):
    """The live housing stamp of the tenant in ``tenant_id_column`` (a correlated scalar
    subquery, NULL when the tenant has none): a column for a statement that runs anyway."""
    return (select(HousingRevision.stamp)
            .where(HousingRevision.tenant_id == tenant_id_column)
            .scalar_subquery())


def note_housing_changed() -> None:
    """The current tenant's associations, units or titles changed in this transaction:
    a new stamp, so no worker's memo answers from before the change once it commits."""
    values = {"stamp": secrets.token_hex(16), "changed_at": utcnow()}
    if db.session.execute(update(HousingRevision).values(**values)).rowcount:
        return
    try:
        with db.session.begin_nested():  # a concurrent first change may insert it first
            db.session.add(HousingRevision(**values))
    except IntegrityError:
        db.session.execute(update(HousingRevision).values(**values))
