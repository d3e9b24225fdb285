"""The online form: CSRF, field-level Polish messages, typed input kept, choices from the
policy; office entry limited to the department applications are filed with."""

from __future__ import annotations

import re

import pytest

from .conftest import applicant_form, application, prefixed, text, version_on, wait_for_subject

pytestmark = pytest.mark.usefixtures("ctx")


def test_the_form_needs_its_csrf_token(synced, host_client, app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = host_client("gdynia.localhost")
    forged = client.post("/wniosek", data=applicant_form(accept_regulations="y"))
    assert forged.status_code == 400          # the app-wide CSRF protection refuses it
    assert application("gdynia") is None
    page = text(client.get("/wniosek"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    sent = client.post("/wniosek", data=applicant_form(accept_regulations="y",
                                                       csrf_token=token))
    assert sent.status_code == 302
    assert application("gdynia").state == "staff_review"


def test_field_messages_are_polish_and_input_is_kept(synced, host_client):
    client = host_client("zielone-wzgorza.localhost")
    page = client.post("/wniosek", data=applicant_form(
        first="", email="to-nie-jest-adres", building="", street="Wrzosowa",
        accept_regulations="y"))
    assert page.status_code == 422
    html = text(page)
    assert "Podaj imię." in html
    assert "Podaj poprawny adres e-mail" in html
    assert "Podaj numer budynku." in html
    assert 'value="Wrzosowa"' in html and 'value="to-nie-jest-adres"' in html
    assert 'aria-invalid="true"' in html
    assert application("zielone-wzgorza") is None


def test_applicant_types_come_from_the_policy(synced, host_client):
    zw = text(host_client("zielone-wzgorza.localhost").get("/wniosek"))
    assert "Członek spółdzielni" in zw and "Posiadacz lokalu użytkowego" not in zw
    refused = host_client("zielone-wzgorza.localhost").post("/wniosek", data=applicant_form(
        applicant_type="commercial", accept_regulations="y"))
    assert refused.status_code == 422 and application("zielone-wzgorza") is None
    assert host_client("siarkowiec.localhost").get("/wniosek").status_code == 404
    assert host_client("kuzniki.localhost").get("/wniosek").status_code == 404


def test_office_entry_is_for_the_department_applications_are_filed_with(synced, staff_client):
    technical = staff_client("siarkowiec", "technik", "technical")
    page = text(technical.get("/staff/wnioski/nowy"))
    assert "Wnioski przyjmuje: Sekretariat Zarządu" in page
    refused = technical.post("/staff/wnioski/nowy", data=applicant_form(channel="paper"))
    assert refused.status_code == 403 and application("siarkowiec") is None
    secretariat = staff_client("siarkowiec", "sekretariat", "secretariat")
    wrong_channel = secretariat.post("/staff/wnioski/nowy", data=applicant_form(
        channel="in_person"))
    assert wrong_channel.status_code == 422 and application("siarkowiec") is None
    assert secretariat.post("/staff/wnioski/nowy", data=applicant_form(channel="paper")) \
        .status_code == 302


def test_a_pickup_date_is_sent_and_listed_on_the_desk(synced, mail, staff_client):
    from .conftest import make_person
    person_id = make_person("gdynia", "Anna", "Lis", building="3", flat="12")
    staff = staff_client("gdynia", "k.nowak", "accounting")
    staff.post("/staff/wnioski/nowy", data=applicant_form(channel="email_scan",
                                                          regulations_signed="y"))
    filed = application("gdynia")
    page = text(staff.get(f"/staff/wnioski/{filed.id}"))
    staff.post(f"/staff/wnioski/{filed.id}/zatwierdz", data=prefixed("approve", {
        "person_id": person_id, "version": version_on(page, "approve")}))
    page = text(staff.get(f"/staff/wnioski/{filed.id}"))
    assert 'value="Księgowość, pokój 18"' in page               # the default place
    sent = staff.post(f"/staff/wnioski/{filed.id}/termin", data=prefixed("schedule", {
        "when": "15.07.2026, 10:00–14:00", "place": "Księgowość, pokój 18",
        "version": version_on(page, "schedule")}))
    assert sent.status_code == 302
    message = wait_for_subject(mail, "Termin odbioru danych dostępowych", 3)
    assert "15.07.2026, 10:00–14:00" in message.get_body(
        preferencelist=("plain",)).get_content()
    assert "15.07.2026" in text(staff.get("/staff/wnioski/odbior"))
    assert application("gdynia").state == "in_person_pickup"


def test_the_schedule_pickup_step_sends_a_department_as_the_place(synced, mail, staff_client):
    from sqlalchemy import select

    from iok_saas.extensions import db
    from iok_saas.modules.audit.services import Actor
    from iok_saas.modules.tenants.models import Tenant
    from iok_saas.modules.tenants.services import update_policy

    from .conftest import make_person

    source = db.session.scalar(select(Tenant.policy_source).where(Tenant.slug == "gdynia"))
    update_policy("gdynia", source.replace("notify_account_ready, in_person_pickup]",
                                           "notify_account_ready, schedule_pickup, "
                                           "in_person_pickup]"), Actor.cli("test"))
    person_id = make_person("gdynia", "Anna", "Lis", building="3", flat="12")
    staff = staff_client("gdynia", "k.nowak", "accounting")
    staff.post("/staff/wnioski/nowy", data=applicant_form(channel="email_scan",
                                                          regulations_signed="y"))
    filed = application("gdynia")
    page = text(staff.get(f"/staff/wnioski/{filed.id}"))
    staff.post(f"/staff/wnioski/{filed.id}/zatwierdz", data=prefixed("approve", {
        "person_id": person_id, "version": version_on(page, "approve")}))
    assert application("gdynia").state == "schedule_pickup"
    page = text(staff.get(f"/staff/wnioski/{filed.id}"))
    assert "Wydanie danych dostępowych" not in page          # no pickup before scheduling
    assert '<option value="accounting">Księgowość, pokój 18</option>' in page
    free_text = staff.post(f"/staff/wnioski/{filed.id}/termin", data=prefixed("schedule", {
        "when": "15.07.2026, 10:00", "place": "u sąsiada", "version": version_on(page,
                                                                               "schedule")}))
    assert free_text.status_code == 409
    assert "Wybierz miejsce odbioru spośród działów" in text(free_text)
    sent = staff.post(f"/staff/wnioski/{filed.id}/termin", data=prefixed("schedule", {
        "when": "15.07.2026, 10:00", "department": "accounting",
        "version": version_on(page, "schedule")}))
    assert sent.status_code == 302
    message = wait_for_subject(mail, "Termin odbioru danych dostępowych", 3)
    assert "15.07.2026, 10:00, Księgowość, pokój 18" in message.get_body(
        preferencelist=("plain",)).get_content()
    assert application("gdynia").state == "in_person_pickup"
