"""Contact data: residents ask for corrections, the named department applies or rejects them,
and the resident hears of it by e-mail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.modules.contact.models import DONE, REJECTED, ContactCorrection
from iok_saas.modules.housing.models import Person
from iok_saas.tenancy import tenant_scope

from ..factories import tenant

pytestmark = pytest.mark.usefixtures("ctx")


def page(response) -> str:
    return response.get_data(as_text=True)


def corrections(slug: str, person_id: int) -> list[ContactCorrection]:
    """Fresh, detached copies: readable after the tenant's scope ends."""
    with tenant_scope(tenant(slug)):
        db.session.expire_all()
        found = list(db.session.scalars(select(ContactCorrection)
                                        .where(ContactCorrection.person_id == person_id)))
        for correction in found:
            db.session.expunge(correction)
        return found


def person(slug: str, person_id: int) -> Person:
    with tenant_scope(tenant(slug)):
        db.session.expire_all()
        found = db.session.scalar(select(Person).where(Person.id == person_id))
        db.session.expunge(found)
        return found


def ask(client, **fields):
    data = {"email": "", "phone": "", "correspondence_address": "", "note": ""}
    data.update(fields)
    return client.post("/konto/dane/korekta", data=data)


@pytest.mark.parametrize("slug", ["siarkowiec", "gdynia"])
def test_contact_tab_where_the_policy_shows_it(resident_client, slug):
    client, resident = resident_client(slug, first="Ewa", last="Sroka")
    shown = client.get("/konto/dane/")
    assert shown.status_code == 200
    assert "Ewa Sroka" in page(shown)
    assert "Lipowa" in page(shown)   # the unit of the title
    assert client.get("/konto/dane/korekta").status_code == 200


@pytest.mark.parametrize("slug", ["brzeg", "kuzniki", "zielone-wzgorza"])
def test_contact_tab_hidden_elsewhere(resident_client, slug):
    client, _ = resident_client(slug)
    assert client.get("/konto/dane/").status_code == 404
    assert ask(client, note="Nazwisko").status_code == 404


def test_only_changed_fields_are_stored(resident_client):
    client, resident = resident_client("siarkowiec")
    current = person("siarkowiec", resident.person_id)
    response = ask(client, email=current.email, phone="+48 601-202-303",
                   correspondence_address="")
    assert response.status_code == 302
    [correction] = corrections("siarkowiec", resident.person_id)
    assert correction.requested == {"phone": "601 202 303"}
    history = page(client.get("/konto/dane/"))
    assert "601 202 303" in history and "oczekuje" in history


def test_nothing_changed_is_refused(resident_client):
    client, resident = resident_client("gdynia")
    current = person("gdynia", resident.person_id)
    response = ask(client, email=current.email)
    assert response.status_code == 422
    assert "Nic nie zostało zmienione" in page(response)
    assert corrections("gdynia", resident.person_id) == []


def test_invalid_email_and_phone_are_refused(resident_client):
    client, resident = resident_client("gdynia")
    response = ask(client, email="not-an-address", phone="12345")
    assert response.status_code == 422
    text = page(response)
    assert "poprawny adres e-mail" in text
    assert "polski numer telefonu" in text
    assert corrections("gdynia", resident.person_id) == []


def test_staff_applies_a_correction(resident_client, office_client, mail):
    client, resident = resident_client("gdynia", first="Olga", last="Wrona")
    assert ask(client, email="olga.nowa@example.com", phone="600 700 800",
               correspondence_address="ul. Morska 1/2, 81-001 Gdynia").status_code == 302
    [correction] = corrections("gdynia", resident.person_id)
    old_email = person("gdynia", resident.person_id).email

    office = office_client("gdynia", login="ksiegowa", department="accounting")
    desk = page(office.get("/staff/korekty-danych/"))
    assert "Olga Wrona" in desk
    assert old_email in desk and "olga.nowa@example.com" in desk

    done = office.post(f"/staff/korekty-danych/{correction.id}/zastosuj",
                       data={f"apply{correction.id}-comment": ""})
    assert done.status_code == 302
    changed = person("gdynia", resident.person_id)
    assert changed.email == "olga.nowa@example.com"
    assert changed.phone == "600 700 800"
    assert changed.correspondence_address == "ul. Morska 1/2, 81-001 Gdynia"
    [correction] = corrections("gdynia", resident.person_id)
    assert correction.state == DONE and correction.decided_by == "staff:ksiegowa"
    with tenant_scope(tenant("gdynia")):
        audit = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "contact_correction.applied",
            AuditEvent.subject_id == resident.person_id))
        assert audit.before["email"] == old_email
        assert audit.after["email"] == "olga.nowa@example.com"

    messages = mail.wait_for(2)
    recipients = {m["To"].addresses[0].addr_spec for m in messages}
    assert recipients == {"olga.nowa@example.com", old_email}
    body = messages[0].get_body(("plain",)).get_content()
    assert "poprawione" in messages[0]["Subject"]
    assert "Olga Wrona" in body
    assert "wprowadzona" in page(client.get("/konto/dane/"))


def test_reject_needs_a_comment(resident_client, office_client, mail):
    client, resident = resident_client("siarkowiec", first="Piotr", last="Kos")
    ask(client, note="Moje nazwisko to Kosz, nie Kos.")
    [correction] = corrections("siarkowiec", resident.person_id)
    office = office_client("siarkowiec")
    url = f"/staff/korekty-danych/{correction.id}/odrzuc"

    empty = office.post(url, data={f"reject{correction.id}-comment": "  "})
    assert empty.status_code == 422
    assert "Podaj powód odrzucenia" in page(empty)
    assert corrections("siarkowiec", resident.person_id)[0].state != REJECTED

    refused = office.post(url, data={f"reject{correction.id}-comment":
                                     "Zmiana nazwiska wymaga dokumentu w biurze."})
    assert refused.status_code == 302
    [correction] = corrections("siarkowiec", resident.person_id)
    assert correction.state == REJECTED
    assert person("siarkowiec", resident.person_id).last_name == "Kos"
    [message] = mail.wait_for(1)
    assert "odrzucona" in message["Subject"]
    assert "wymaga dokumentu" in message.get_body(("plain",)).get_content()
    history = page(client.get("/konto/dane/"))
    assert "odrzucona" in history and "wymaga dokumentu" in history


def test_staff_of_another_tenant_gets_404(resident_client, office_client):
    client, resident = resident_client("gdynia")
    ask(client, phone="600 111 333")
    [correction] = corrections("gdynia", resident.person_id)
    other = office_client("siarkowiec")
    for action, field in (("zastosuj", "apply"), ("odrzuc", "reject")):
        response = other.post(f"/staff/korekty-danych/{correction.id}/{action}",
                              data={f"{field}{correction.id}-comment": "x"})
        assert response.status_code == 404
    assert corrections("gdynia", resident.person_id)[0].state == "submitted"


def test_staff_desk_hidden_where_contact_is_not_shown(office_client):
    office = office_client("kuzniki")
    assert office.get("/staff/korekty-danych/").status_code == 404
