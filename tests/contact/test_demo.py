"""The contact demo: a waiting request where the tab is shown, nothing elsewhere."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.modules.contact.demo import seed_demo
from iok_saas.modules.contact.models import ContactCorrection
from iok_saas.modules.housing.models import Person
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import utcnow

from ..factories import active_resident, tenant

pytestmark = pytest.mark.usefixtures("ctx")


def demo_person(slug: str, n: int) -> None:
    resident = active_resident(slug)
    with tenant_scope(tenant(slug)):
        person = db.session.scalar(select(Person).where(Person.id == resident.person_id))
        person.external_id = f"DEMO-P{n}"
        db.session.commit()


@pytest.mark.parametrize("slug,expected", [("gdynia", 2), ("kuzniki", 0)])
def test_demo_request(synced, office_client, slug, expected):
    demo_person(slug, 1)
    demo_person(slug, 2)
    with tenant_scope(tenant(slug)):
        seed_demo(utcnow().date())
        db.session.commit()
        assert db.session.scalar(select(func.count(ContactCorrection.id))) == expected
    if expected:
        desk = office_client(slug).get("/staff/korekty-danych/").get_data(as_text=True)
        assert "601 234 567" in desk
