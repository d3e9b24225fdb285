"""Enrolment fixtures: housing data and staff inside a tenant's scope, signed-in browsers,
a real SMTP server on loopback, and readers for e-mails, pages and letters."""

from __future__ import annotations

import html
import itertools
import re
from datetime import date

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.enrolment.models import Application
from iok_saas.modules.housing.models import Association, Person, Title, Unit
from iok_saas.tenancy import tenant_scope

from ..factories import tenant
from ..mailserver import MailServer

_serial = itertools.count(1)


def make_person(slug: str, first: str = "Jan", last: str = "Kowalski",
                street: str = "ul. Lipowa", building: str | None = None,
                flat: str | None = "12", kind: str = "owner",
                valid_from: date = date(2020, 1, 1), valid_to: date | None = None,
                email: str | None = None) -> int:
    """A person with a title to a new unit (its own building number unless given)."""
    with tenant_scope(tenant(slug)):
        n = next(_serial)
        building = building or str(100 + n)
        assoc = Association(external_id=f"EA{n}", name=f"Budynek {street} {building}",
                            street=f"{street} {building}", postal_code="00-001",
                            city="Miasto")
        unit = Unit(external_id=f"EU{n}", association=assoc, street=street,
                    building_number=building, unit_number=flat, city="Miasto")
        person = Person(external_id=f"EP{n}", first_name=first, last_name=last,
                        email=email)
        db.session.add_all([assoc, unit, person])
        db.session.flush()
        db.session.add(Title(external_id=f"ET{n}", person_id=person.id, unit_id=unit.id,
                             kind=kind, valid_from=valid_from, valid_to=valid_to))
        db.session.commit()
        return person.id


@pytest.fixture
def staff_client(office_client):
    """staff_client('gdynia', 'k.nowak', 'accounting') -> a signed-in browser."""
    return office_client


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message, path: str) -> str:
    """The path (and token) of the first link to ``path`` in an e-mail."""
    link = re.search(rf"http://\S+{re.escape(path)}\S+", body(message)).group(0)
    return "/" + link.split("/", 3)[3]


def subjects(server: MailServer) -> list[str]:
    return [m["Subject"] for m in server.messages]


def wait_for_subject(server: MailServer, fragment: str, count: int):
    """The newest message whose subject has ``fragment``, once ``count`` have arrived."""
    messages = server.wait_for(count)
    assert len(messages) >= count, subjects(server)
    found = [m for m in messages if fragment in m["Subject"]]
    assert found, subjects(server)
    return found[-1]


def applicant_form(first="Anna", last="Lis", street="ul. Lipowa", building="3", flat="12",
                   city="Miasto", applicant_type="owner", email="anna.lis@example.com",
                   phone="600 100 200", **extra) -> dict:
    data = {"first_name": first, "last_name": last, "street": street,
            "building_number": building, "flat_number": flat or "", "city": city,
            "applicant_type": applicant_type, "phone": phone}
    if email is not None:
        data["email"] = email
    data.update(extra)
    return data


def prefixed(prefix: str, data: dict) -> dict:
    return {f"{prefix}-{key}": value for key, value in data.items()}


def application(slug: str, number: str | None = None) -> Application:
    """The tenant's application with ``number`` (the newest one without it): a fresh,
    detached copy, readable after the tenant's scope ends."""
    with tenant_scope(tenant(slug)):
        query = select(Application).order_by(Application.id.desc())
        if number:
            query = query.where(Application.number == number)
        found = db.session.scalars(query).first()
        if found is not None:
            db.session.refresh(found)
            db.session.expunge(found)
        return found


def all_applications(slug: str) -> list[Application]:
    with tenant_scope(tenant(slug)):
        found = list(db.session.scalars(select(Application).order_by(Application.id)
                                        .execution_options(populate_existing=True)))
        for item in found:
            db.session.expunge(item)
        return found


def version_on(page_html: str, prefix: str) -> str:
    return re.search(rf'name="{prefix}-version"[^>]*value="(\d+)"', page_html).group(1)


