"""Back-office fixtures: tenant data built inside the tenant's scope, staff signed in."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from iok_saas.extensions import db
from iok_saas.modules.housing.models import Association, Person, Title, Unit
from iok_saas.tenancy import tenant_scope

from ..factories import STAFF_PASSWORD, tenant

_serial = itertools.count(1)


def make_person(slug: str, first: str = "Jan", last: str = "Kowalski",
                street: str = "ul. Lipowa", building: str = "3", flat: str | None = "12",
                valid_from: date = date(2020, 1, 1), valid_to: date | None = None) -> int:
    """A person with a title (current unless ``valid_to`` is past) to a new unit."""
    with tenant_scope(tenant(slug)):
        n = next(_serial)
        assoc = Association(external_id=f"BA{n}", name=f"Wspólnota {street} {building}",
                            street=f"{street} {building}", postal_code="49-300", city="Brzeg")
        unit = Unit(external_id=f"BU{n}", association=assoc, street=street,
                    building_number=building, unit_number=flat, city="Brzeg")
        person = Person(external_id=f"BP{n}", first_name=first, last_name=last,
                        email=f"osoba{n}@example.com")
        db.session.add_all([assoc, unit, person])
        db.session.flush()
        db.session.add(Title(external_id=f"BT{n}", person_id=person.id, unit_id=unit.id,
                             kind="owner", valid_from=valid_from, valid_to=valid_to))
        db.session.commit()
        return person.id


def staff_login(client, login: str, password: str = STAFF_PASSWORD):
    return client.post("/staff/logowanie", data={"login": login, "password": password})


@pytest.fixture
def staff_client(office_client):
    """staff_client('brzeg', 'a.nowak', 'finance', role='admin') -> a signed-in browser."""
    return office_client
