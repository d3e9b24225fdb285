"""Builders for the activation-code tests: a holder with a charge notice, issued codes."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.activation import services
from iok_saas.modules.housing.models import Association, Person, Title, Unit
from iok_saas.modules.notifications.models import OutboxMessage
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import warsaw_today

from ..factories import tenant
from ..notices.helpers import TOTAL, import_notices

KU = "kuzniki"
_serial = itertools.count(1)
AMOUNT = TOTAL  # "368,56": the notice's three lines
NEW_PASSWORD = "Sosna-2026-Polana"


@dataclass(frozen=True)
class Holder:
    unit_id: int
    person_id: int
    flat: str
    building: str

    @property
    def key(self) -> str:
        return f"{self.unit_id}-{self.person_id}"


def make_holder(slug: str = KU, *, kind: str = "owner", valid_to: date | None = None,
                notice: bool = True, first: str = "Halina", last: str = "Zawadzka") -> Holder:
    """A person with a title to a new flat and no account; its last notice totals AMOUNT."""
    with tenant_scope(tenant(slug)):
        n = next(_serial)
        association = Association(external_id=f"AC-A{n}", name=f"Osiedle Sosnowe {n}",
                                  street=f"ul. Sosnowa {n}", postal_code="00-002",
                                  city="Wrocław")
        unit = Unit(external_id=f"AC-U{n}", association=association, street="ul. Sosnowa",
                    building_number=str(n), unit_number=str(40 + n), city="Wrocław")
        person = Person(external_id=f"AC-P{n}", first_name=first, last_name=last,
                        email=None)
        db.session.add_all([association, unit, person])
        db.session.flush()
        db.session.add(Title(external_id=f"AC-T{n}", person_id=person.id, unit_id=unit.id,
                             kind=kind, valid_from=date(2020, 1, 1), valid_to=valid_to))
        db.session.commit()
        holder = Holder(unit.id, person.id, str(40 + n), str(n))
    if notice:                      # the notice in force this month
        import_notices(slug, [holder.unit_id], warsaw_today().replace(day=1))
    return holder


def issue(holder: Holder, slug: str = KU) -> str:
    """One code for ``holder``, committed; returns its plain text."""
    with tenant_scope(tenant(slug)):
        (issued,) = services.issue([holder.key], "staff:test")
        db.session.commit()
        return issued.code


def registration(code: str, holder: Holder, **changes) -> services.Registration:
    values = {"code": code, "flat_number": holder.flat, "amount": AMOUNT,
              "email": "halina@example.com", "password": NEW_PASSWORD, **changes}
    return services.Registration(**values)


def last_mail_to(address: str, slug: str = KU) -> OutboxMessage:
    with tenant_scope(tenant(slug)):
        return db.session.scalar(select(OutboxMessage).where(
            OutboxMessage.to_address == address).order_by(OutboxMessage.id.desc()))


def link_token(message: OutboxMessage) -> str:
    return re.search(r"/aktywacja/potwierdz/(\S+)", message.text_body)[1]
