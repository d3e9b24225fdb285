"""Contact data: residents ask for corrections, the named department applies or rejects them,
and the resident hears of it by e-mail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.contact import services
from iok_saas.modules.contact.models import DONE, REJECTED, SUBMITTED, ContactCorrection
from iok_saas.modules.housing.models import Person
from iok_saas.modules.tenants.models import Tenant
from iok_saas.modules.tenants.services import update_policy
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


def decide(office, correction_id: int, button: str, comment: str = ""):
    """The staff's decision on the correction's page: ``button`` is "apply" or "reject"."""
    return office.post(f"/staff/korekty-danych/{correction_id}",
                       data={"comment": comment, button: "y"})


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
    assert f'href="/staff/korekty-danych/{correction.id}"' in desk
    detail = page(office.get(f"/staff/korekty-danych/{correction.id}"))
    assert old_email in detail and "olga.nowa@example.com" in detail
    assert "Wprowadź zmiany" in detail and "Odrzuć prośbę" in detail

    done = decide(office, correction.id, "apply")
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/staff/korekty-danych/")
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
        assert db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "contact_correction.done",
            AuditEvent.subject_id == correction.id)).after == {"state": DONE}

    messages = mail.wait_for(2)
    recipients = {m["To"].addresses[0].addr_spec for m in messages}
    assert recipients == {"olga.nowa@example.com", old_email}
    body = messages[0].get_body(("plain",)).get_content()
    assert "poprawione" in messages[0]["Subject"]
    assert "Olga Wrona" in body
    assert "wprowadzona" in page(client.get("/konto/dane/"))

    assert "Brak oczekujących próśb" in page(office.get("/staff/korekty-danych/"))
    decided = page(office.get("/staff/korekty-danych/?widok=rozpatrzone"))
    assert "Olga Wrona" in decided and "wprowadzona" in decided
    assert "Pracownik ksiegowa (" in decided and "staff:ksiegowa" not in decided  # a name
    again = decide(office, correction.id, "reject", "Jednak nie.")
    assert "Decyzja" not in page(again).split("</dl>")[1]   # no decision form any more
    assert corrections("gdynia", resident.person_id)[0].state == DONE


def test_a_note_only_request_is_marked_as_handled(resident_client, office_client, mail):
    client, resident = resident_client("siarkowiec")
    ask(client, email=person("siarkowiec", resident.person_id).email,
        note="Proszę poprawić imię na Lech.")
    [correction] = corrections("siarkowiec", resident.person_id)
    office = office_client("siarkowiec")
    detail = page(office.get(f"/staff/korekty-danych/{correction.id}"))
    assert "Proszę poprawić imię na Lech." in detail
    assert "Oznacz jako załatwioną" in detail and "Wprowadź zmiany" not in detail
    assert decide(office, correction.id, "apply", "Poprawione w kartotece.").status_code == 302
    [correction] = corrections("siarkowiec", resident.person_id)
    assert correction.state == DONE and correction.staff_comment == "Poprawione w kartotece."
    [message] = mail.wait_for(1)
    assert "Poprawione w kartotece." in message.get_body(("plain",)).get_content()


def test_reject_needs_a_comment(resident_client, office_client, mail):
    client, resident = resident_client("siarkowiec", first="Piotr", last="Kos")
    ask(client, note="Moje nazwisko to Kosz, nie Kos.")
    [correction] = corrections("siarkowiec", resident.person_id)
    office = office_client("siarkowiec")

    empty = decide(office, correction.id, "reject", "  ")
    assert empty.status_code == 200
    assert "Podaj powód odrzucenia" in page(empty)
    assert corrections("siarkowiec", resident.person_id)[0].state != REJECTED

    refused = decide(office, correction.id, "reject", "Zmiana nazwiska wymaga dokumentu w biurze.")
    assert refused.status_code == 302
    [correction] = corrections("siarkowiec", resident.person_id)
    assert correction.state == REJECTED
    assert person("siarkowiec", resident.person_id).last_name == "Kos"
    with tenant_scope(tenant("siarkowiec")):
        audit = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "contact_correction.rejected"))
        assert audit.after == {"state": REJECTED,
                               "comment": "Zmiana nazwiska wymaga dokumentu w biurze."}
    [message] = mail.wait_for(1)
    assert "odrzucona" in message["Subject"]
    assert "wymaga dokumentu" in message.get_body(("plain",)).get_content()
    history = page(client.get("/konto/dane/"))
    assert "odrzucona" in history and "wymaga dokumentu" in history


def give_corrections_to(slug: str, department: str) -> None:
    source = db.session.scalar(select(Tenant.policy_source).where(Tenant.slug == slug))
    assert "\nhandled_by:" not in source  # no top-level section to merge with
    update_policy(slug, f"{source}\nhandled_by:\n  contact_corrections: {department}\n",
                  Actor.cli("test"))
    db.session.commit()


def test_only_the_named_department_decides(resident_client, office_client, mail):
    """Corrections given to one department: the others see them, read-only."""
    give_corrections_to("siarkowiec", "membership")
    client, resident = resident_client("siarkowiec", first="Jan", last="Wilk")
    ask(client, phone="600 111 222")
    [correction] = corrections("siarkowiec", resident.person_id)
    secretariat = office_client("siarkowiec", login="sekretariat", department="secretariat")
    desk = page(secretariat.get("/staff/korekty-danych/"))
    assert "Jan Wilk" in desk and "Dział Członkowski" in desk
    assert "tylko przeglądać" in desk
    detail = page(secretariat.get(f"/staff/korekty-danych/{correction.id}"))
    assert "600 111 222" in detail and 'id="read-only"' in detail
    assert "Wprowadź zmiany" not in detail

    refused = decide(secretariat, correction.id, "apply")
    assert refused.status_code == 403
    assert "Decyzję podejmuje: Dział Członkowski" in page(refused)
    assert corrections("siarkowiec", resident.person_id)[0].state == SUBMITTED
    assert person("siarkowiec", resident.person_id).phone != "600 111 222"

    members = office_client("siarkowiec", login="czlonkowski", department="membership")
    assert "tylko przeglądać" not in page(members.get("/staff/korekty-danych/"))
    assert decide(members, correction.id, "apply").status_code == 302
    assert person("siarkowiec", resident.person_id).phone == "600 111 222"
    assert len(mail.wait_for(1)) == 1


def test_simultaneous_decisions_leave_the_first(resident_client, office_client, mail):
    client, resident = resident_client("siarkowiec")
    ask(client, phone="600 222 333")
    [correction] = corrections("siarkowiec", resident.person_id)
    office = office_client("siarkowiec")
    with tenant_scope(tenant("siarkowiec")):
        stale = services.SUBMISSIONS.row_or_404(correction.id)  # loaded before the other
        assert decide(office, correction.id, "apply").status_code == 302
        assert stale.correction.state == SUBMITTED  # this session has not seen the decision
        with pytest.raises(services.DecisionError, match="już rozpatrzona"):
            services.decide(stale, False, "Za późno", "staff:drugi")
        db.session.rollback()       # the refused request ends; it had staged nothing
    [correction] = corrections("siarkowiec", resident.person_id)
    assert correction.state == DONE and correction.decided_by == "staff:biuro"
    assert person("siarkowiec", resident.person_id).phone == "600 222 333"
    assert len(mail.wait_for(1)) == 1


def test_staff_of_another_tenant_gets_404(resident_client, office_client):
    client, resident = resident_client("gdynia")
    ask(client, phone="600 111 333")
    [correction] = corrections("gdynia", resident.person_id)
    other = office_client("siarkowiec")
    assert other.get(f"/staff/korekty-danych/{correction.id}").status_code == 404
    for button in ("apply", "reject"):
        assert decide(other, correction.id, button, "x").status_code == 404
    assert corrections("gdynia", resident.person_id)[0].state == SUBMITTED


def test_staff_desk_hidden_where_contact_is_not_shown(office_client):
    office = office_client("kuzniki")
    assert office.get("/staff/korekty-danych/").status_code == 404
