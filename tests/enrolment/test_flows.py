"""Each cooperative's enrolment, end to end through the web: its policy's steps, in order,
with the e-mails arriving at a real SMTP server on loopback."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import MUST_CHANGE, PENDING, ResidentAccount
from iok_saas.modules.audit.services import events_of
from iok_saas.modules.notifications.models import StaffTask
from iok_saas.tenancy import tenant_scope

from ..letters_text import letter_credentials, pdf_text
from .conftest import (
    all_applications,
    applicant_form,
    application,
    body,
    link_in,
    make_person,
    prefixed,
    tenant,
    text,
    version_on,
    wait_for_subject,
)

pytestmark = pytest.mark.usefixtures("ctx")


def account_of_person(slug: str, person_id: int) -> ResidentAccount | None:
    with tenant_scope(tenant(slug)):
        account = db.session.scalar(select(ResidentAccount).where(
            ResidentAccount.person_id == person_id))
        if account is not None:
            db.session.refresh(account)
        return account


def step_events(slug: str, number: str) -> list[str]:
    with tenant_scope(tenant(slug)):
        found = application(slug, number)
        return [e.action for e in reversed(events_of(found))]


def approve(staff, app_id: int, person_id: int):
    page = text(staff.get(f"/staff/wnioski/{app_id}"))
    return staff.post(f"/staff/wnioski/{app_id}/zatwierdz", data=prefixed("approve", {
        "person_id": person_id, "version": version_on(page, "approve")}))


def pickup(staff, app_id: int, person_id: int | None = None, **checks):
    page = text(staff.get(f"/staff/wnioski/{app_id}"))
    data = {"version": version_on(page, "pickup"), "document_type": "id_card",
            "identity_checked": "y", "receipt_signed": "y", "application_signed": "y"}
    if person_id is not None:
        data["person_id"] = person_id
    data.update(checks)
    return staff.post(f"/staff/wnioski/{app_id}/odbior", data=prefixed("pickup", data))


def test_zielone_wzgorza_form_confirm_review_notify_pickup_first_login(
        synced, mail, host_client, staff_client):
    person_id = make_person("zielone-wzgorza", "Anna", "Lis", building="3", flat="12")
    resident = host_client("zielone-wzgorza.localhost")

    form = resident.get("/wniosek")
    assert form.status_code == 200
    assert "Potwierdzenie adresu e-mail" in text(form)        # the policy's steps, listed
    assert 'name="accept_regulations"' in text(form)          # filing accepts the rules
    refused = resident.post("/wniosek", data=applicant_form(building="3"))
    assert refused.status_code == 422                         # acceptance missing
    assert "akceptacji regulaminu" in text(refused)
    assert 'value="Lis"' in text(refused)                     # typed input is kept

    sent = resident.post("/wniosek", data=applicant_form(building="3", accept_regulations="y"))
    assert sent.status_code == 302
    done = text(resident.get(sent.headers["Location"]))
    assert "Sprawdź skrzynkę e-mail" in done and "anna.lis@example.com" in done
    filed = application("zielone-wzgorza")
    assert (filed.state, filed.channel, filed.regulations_version) == \
        ("confirm_email", "electronic", "1")
    assert re.fullmatch(r"W/\d{4}/\d{6}", filed.number)

    confirmation = wait_for_subject(mail, "Potwierdź adres e-mail", 1)
    assert "anna.lis@example.com" in confirmation["To"]
    link = link_in(confirmation, "/wniosek/potwierdz/")
    assert resident.get(link).status_code == 200              # a page with a button only
    assert application("zielone-wzgorza").state == "confirm_email"
    confirmed = resident.post(link)
    assert confirmed.status_code == 200 and "potwierdzony" in text(confirmed)
    assert application("zielone-wzgorza").state == "staff_review"
    wait_for_subject(mail, "Wniosek o dostęp został przyjęty", 2)

    staff = staff_client("zielone-wzgorza", "k.nowak", "secretariat")
    queue = text(staff.get("/staff/wnioski/"))
    assert filed.number in queue and "złożony dziś" in queue
    detail = text(staff.get(f"/staff/wnioski/{filed.id}"))
    assert "Anna Lis" in detail and "tytuł do lokalu z wniosku" in detail
    approved = approve(staff, filed.id, person_id)
    assert approved.status_code == 302, text(approved)
    account = account_of_person("zielone-wzgorza", person_id)
    assert account.state == PENDING
    assert application("zielone-wzgorza").state == "in_person_pickup"
    assert application("zielone-wzgorza").account_id == account.id

    ready = wait_for_subject(mail, "Dostęp jest gotowy do odbioru", 3)
    assert filed.number in body(ready)

    desk = text(staff.get("/staff/wnioski/odbior"))
    assert filed.number in desk
    letter = pickup(staff, filed.id, receipt_signed="")       # ZW: signs the application
    assert letter.status_code == 200, text(letter)
    assert letter.mimetype == "application/pdf"
    assert letter.headers["Cache-Control"] == "no-store"
    login, password = letter_credentials(pdf_text(letter.data)[0])
    assert login == account.login
    assert account_of_person("zielone-wzgorza", person_id).state == MUST_CHANGE
    finished = application("zielone-wzgorza")
    assert finished.state == "completed" and finished.pickup_document_type == "id_card"
    wait_for_subject(mail, "Konto jest aktywne", 4)

    browser = host_client("zielone-wzgorza.localhost")
    assert browser.post("/logowanie", data={"login": login, "password": password}) \
        .status_code == 302
    gate = browser.get("/konto")
    assert gate.status_code == 302 and gate.headers["Location"].endswith("/pierwsze-logowanie")

    assert step_events("zielone-wzgorza", filed.number) == [
        "application.submit", "application.confirm_email", "application.staff_review",
        "application.notify_account_ready", "application.in_person_pickup"]


def test_gdynia_electronic_form_is_refused_with_the_reason(synced, mail, host_client,
                                                           staff_client):
    resident = host_client("gdynia.localhost")
    form = text(resident.get("/wniosek"))
    assert "Potwierdzenie adresu e-mail" not in form          # Gdynia has no confirm step
    assert "Posiadacz lokalu użytkowego" in form              # commercial units are eligible
    sent = resident.post("/wniosek", data=applicant_form(
        first="Olga", last="Nowicka", applicant_type="commercial", accept_regulations="y"))
    assert sent.status_code == 302
    assert "Wniosek trafił do spółdzielni" in text(resident.get(sent.headers["Location"]))
    filed = application("gdynia")
    assert filed.state == "staff_review"
    wait_for_subject(mail, "Wniosek o dostęp został przyjęty", 1)

    staff = staff_client("gdynia", "k.nowak", "accounting")
    page = text(staff.get(f"/staff/wnioski/{filed.id}"))
    refused = staff.post(f"/staff/wnioski/{filed.id}/odrzuc", data=prefixed("reject", {
        "reason": "brak tytułu prawnego do lokalu", "version": version_on(page, "reject")}))
    assert refused.status_code == 302
    assert application("gdynia").state == "rejected"
    rejection = wait_for_subject(mail, "Wniosek został odrzucony", 2)
    assert "Powód: brak tytułu prawnego do lokalu." in body(rejection)
    assert filed.number in body(rejection)


def test_gdynia_paper_application_entered_by_accounting(synced, mail, staff_client):
    person_id = make_person("gdynia", "Piotr", "Wrona", street="ul. Paprykowa", building="7",
                            flat="3")
    staff = staff_client("gdynia", "k.nowak", "accounting")
    entry = staff.get("/staff/wnioski/nowy")
    assert entry.status_code == 200
    assert 'value="electronic"' not in text(entry)            # staff enter office channels
    missing = staff.post("/staff/wnioski/nowy", data=applicant_form(
        first="Piotr", last="Wrona", street="Paprykowa", building="7", flat="3",
        email="", channel="paper"))
    assert missing.status_code == 422 and "akceptacji regulaminu" in text(missing)
    entered = staff.post("/staff/wnioski/nowy", data=applicant_form(
        first="Piotr", last="Wrona", street="Paprykowa", building="7", flat="3",
        email="p.wrona@example.com", channel="paper", regulations_signed="y"))
    assert entered.status_code == 302, text(entered)
    filed = application("gdynia")
    assert (filed.channel, filed.filing_step, filed.state) == \
        ("paper", "paper_application", "staff_review")
    assert filed.entered_by == "staff:k.nowak"
    assert approve(staff, filed.id, person_id).status_code == 302   # 'ul.' is not required
    wait_for_subject(mail, "Dostęp jest gotowy do odbioru", 2)
    letter = pickup(staff, filed.id)
    assert letter.mimetype == "application/pdf"
    assert account_of_person("gdynia", person_id).state == MUST_CHANGE


def test_siarkowiec_paper_application_email_and_phone_task(synced, mail, staff_client):
    with_mail = make_person("siarkowiec", "Ewa", "Kos", building="9", flat="1")
    without = make_person("siarkowiec", "Jerzy", "Bez-Maila", building="9", flat="2")
    secretariat = staff_client("siarkowiec", "sekretariat", "secretariat")
    assert secretariat.get("/wniosek").status_code == 404     # no online form at Siarkowiec
    for first, last, flat, email in (("Ewa", "Kos", "1", "ewa.kos@example.com"),
                                     ("Jerzy", "Bez-Maila", "2", "")):
        entered = secretariat.post("/staff/wnioski/nowy", data=applicant_form(
            first=first, last=last, building="9", flat=flat, email=email, channel="paper",
            phone="600 200 300"))
        assert entered.status_code == 302, text(entered)
    first, second = all_applications("siarkowiec")
    assert approve(secretariat, first.id, with_mail).status_code == 302
    assert approve(secretariat, second.id, without).status_code == 302
    ready = wait_for_subject(mail, "Dostęp jest gotowy do odbioru", 2)
    assert "ewa.kos@example.com" in ready["To"]
    assert "Dział Techniczny, pokój 108 lub 213" in body(ready)
    with tenant_scope(tenant("siarkowiec")):
        [task] = db.session.scalars(select(StaffTask)).all()
    assert (task.department, task.kind, task.phone) == \
        ("technical", "call:account_ready", "600 200 300")
    assert "Jerzy Bez-Maila" in task.title

    # The pickup is the Technical Department's: the secretariat sees it read-only.
    page = text(secretariat.get(f"/staff/wnioski/{first.id}"))
    assert "Ten krok wykonuje: Dział Techniczny" in page
    desk = text(secretariat.get("/staff/wnioski/odbior"))
    assert "Dane dostępowe wydaje: Dział Techniczny" in desk
    refused = secretariat.post(f"/staff/wnioski/{first.id}/odbior", data=prefixed("pickup", {
        "version": str(application("siarkowiec", first.number).version),
        "document_type": "id_card", "identity_checked": "y", "receipt_signed": "y"}))
    assert refused.status_code == 403
    assert application("siarkowiec", first.number).state == "in_person_pickup"

    technical = staff_client("siarkowiec", "technik", "technical")
    unsigned = pickup(technical, first.id, receipt_signed="")
    assert unsigned.status_code == 422 and "potwierdzenie odbioru" in text(unsigned)
    letter = pickup(technical, first.id, application_signed="")
    assert letter.mimetype == "application/pdf"
    assert account_of_person("siarkowiec", with_mail).state == MUST_CHANGE


def test_kuzniki_in_person_request_then_pickup_in_one_visit(synced, mail, staff_client):
    person_id = make_person("kuzniki", "Irena", "Sowa", street="ul. Majakowskiego",
                            building="40", flat="1A")
    staff = staff_client("kuzniki", "biuro", "secretariat")
    entry = text(staff.get("/staff/wnioski/nowy"))
    assert "osobiście w biurze" in entry
    entered = staff.post("/staff/wnioski/nowy", data=applicant_form(
        first="Irena", last="Sowa", street="Majakowskiego", building="40", flat="1a",
        email="", channel="in_person"))
    assert entered.status_code == 302, text(entered)
    filed = application("kuzniki")
    assert (filed.filing_step, filed.plan, filed.state) == \
        ("in_person_request", ["in_person_pickup"], "in_person_pickup")
    page = text(staff.get(f"/staff/wnioski/{filed.id}"))
    assert "Irena Sowa" in page and 'name="pickup-person_id"' in page
    no_person = pickup(staff, filed.id)
    assert no_person.status_code == 422
    letter = pickup(staff, filed.id, person_id=person_id)
    assert letter.mimetype == "application/pdf", text(letter)
    login, _ = letter_credentials(pdf_text(letter.data)[0])
    account = account_of_person("kuzniki", person_id)
    assert account.login == login and account.state == MUST_CHANGE
    assert application("kuzniki").account_id == account.id
    assert step_events("kuzniki", filed.number) == [
        "application.submit", "application.in_person_pickup"]


def test_brzeg_has_no_applications(synced, host_client, staff_client):
    client = host_client("brzeg.localhost")
    assert client.get("/wniosek").status_code == 404
    assert client.post("/wniosek", data=applicant_form()).status_code == 404
    assert client.get("/wniosek/rezygnacja").status_code == 404
    staff = staff_client("brzeg", "a.nowak", "finance")
    assert staff.get("/staff/wnioski/nowy").status_code == 404
    assert staff.get("/staff/wnioski/").status_code == 200
