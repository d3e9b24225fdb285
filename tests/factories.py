"""Small builders for tenant data used across tests (always inside the tenant's scope)."""

from __future__ import annotations

import itertools
from datetime import date

from iok_saas.extensions import db
from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.housing.models import Association, Person, Title, Unit
from iok_saas.tenancy import directory, tenant_scope

_serial = itertools.count(1)


def tenant(slug: str):
    return next(t for t in directory().all() if t.slug == slug)


def resident(slug: str, first="Jan", last="Kowalski", flat="12"):
    """A person with a current owner title to a new flat, and a pending account."""
    with tenant_scope(tenant(slug)):
        n = next(_serial)
        assoc = Association(external_id=f"A{n}", name=f"Wspólnota Lipowa {n}",
                            street=f"ul. Lipowa {n}", postal_code="00-001", city="Miasto")
        unit = Unit(external_id=f"U{n}", association=assoc, street="ul. Lipowa",
                    building_number=str(n), unit_number=flat, city="Miasto")
        person = Person(external_id=f"P{n}", first_name=first, last_name=last,
                        email=f"osoba{n}@example.com")
        db.session.add_all([assoc, unit, person])
        db.session.flush()
        db.session.add(Title(external_id=f"T{n}", person_id=person.id, unit_id=unit.id,
                             kind="owner", valid_from=date(2020, 1, 1)))
        db.session.commit()
        return accounts.create_account(person, "test").id


def credentials(slug: str, account_id: int):
    with tenant_scope(tenant(slug)):
        account = accounts.get_account(account_id)
        issued = accounts.issue_credentials(account, "test", "test")
        return issued.login, issued.password
