"""Activation codes through the web: the resident's registration and confirmation pages,
and the staff desk (issue as PDF/CSV, list by state, revoke), per the tenant's policy."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.activation.models import ActivationCode
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.tenancy import tenant_scope

from ..factories import tenant
from .helpers import AMOUNT, KU, NEW_PASSWORD, issue, last_mail_to, link_token, make_holder

pytestmark = pytest.mark.usefixtures("synced", "ctx")
ZW = "zielone-wzgorza"


def form_for(code: str, holder, **changes) -> dict:
    return {"code": code, "flat_number": holder.flat, "amount": AMOUNT,
            "email": "halina@example.com", "new": NEW_PASSWORD, "repeat": NEW_PASSWORD,
            **changes}


def page(response) -> str:
    return response.get_data(as_text=True)


def codes_table(response) -> str:
    return page(response).partition('id="codes"')[2]


def test_the_pages_exist_only_where_the_policy_enables_codes(host_client, office_client):
    assert host_client(f"{ZW}.localhost").get("/aktywacja").status_code == 404
    assert office_client(ZW).get("/staff/kody-aktywacyjne/").status_code == 404
    assert "Kody aktywacyjne" not in page(office_client(ZW, "biuro2").get("/staff/"))
    resident_page = host_client(f"{KU}.localhost").get("/aktywacja")
    assert resident_page.status_code == 200
    assert "Wymagania dla hasła" in page(resident_page)
    assert "Kody aktywacyjne" in page(office_client(KU).get("/staff/"))


def test_a_resident_registers_confirms_and_signs_in(host_client):
    holder = make_holder()
    plain = issue(holder)
    browser = host_client(f"{KU}.localhost")
    wrong = browser.post("/aktywacja", data=form_for(plain, holder, amount="1,00"))
    assert wrong.status_code == 422
    assert "Nie udało się potwierdzić danych" in page(wrong)
    weak = browser.post("/aktywacja", data=form_for(plain, holder, new="kuzniki1",
                                                     repeat="kuzniki1"))
    assert weak.status_code == 422 and 'id="password-errors"' in page(weak)
    done = browser.post("/aktywacja", data=form_for(plain, holder))
    assert done.status_code == 302 and done.headers["Location"].endswith("/aktywacja/wyslano")
    sent = page(browser.get("/aktywacja/wyslano"))
    login = re.search(r'id="activation-login">([^<]+)<', sent)[1]
    refused = browser.post("/logowanie", data={"login": login, "password": NEW_PASSWORD})
    assert refused.status_code == 200  # not ready until the address is confirmed
    link = f"/aktywacja/potwierdz/{link_token(last_mail_to('halina@example.com'))}"
    assert "Potwierdzam adres e-mail" in page(browser.get(link))
    confirmed = browser.post(link, data={})
    assert login in page(confirmed)
    assert browser.get(link).status_code == 410  # used
    signed_in = browser.post("/logowanie", data={"login": login, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302 and "/logowanie" not in signed_in.headers["Location"]


def test_staff_issue_a_pdf_batch_and_a_csv_and_see_the_codes_states(office_client):
    first, second = make_holder(), make_holder(first="Irena", last="Wilk")
    office = office_client(KU)
    desk = page(office.get("/staff/kody-aktywacyjne/"))
    assert f'value="{first.key}"' in desk and f'value="{second.key}"' in desk
    pdf = office.post("/staff/kody-aktywacyjne/generuj",
                      data={"holder": [first.key], "format": "pdf"})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert "no-store" in pdf.headers["Cache-Control"]
    sheet = office.post("/staff/kody-aktywacyjne/generuj",
                        data={"holder": [first.key, second.key], "format": "csv"})
    rows = list(csv.reader(io.StringIO(sheet.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "kod" and len(rows) == 3
    assert all(re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", r[0]) for r in rows[1:])
    listing = codes_table(office.get("/staff/kody-aktywacyjne/?stan=revoked"))
    assert "Halina Zawadzka" in listing and "Irena Wilk" not in listing  # the PDF's code
    active = codes_table(office.get("/staff/kody-aktywacyjne/?stan=active"))
    assert "Irena Wilk" in active and rows[2][0][-4:] in active
    assert rows[1][0] not in active  # only the last characters are ever shown


def test_nothing_chosen_is_a_polish_error_and_everyone_issues_for_all(office_client):
    make_holder()
    issue(make_holder(first="Irena", last="Wilk"))  # her printed code stays valid
    office = office_client(KU)
    empty = office.post("/staff/kody-aktywacyjne/generuj", data={"format": "csv"})
    assert empty.status_code == 400 and "Wybierz co najmniej jeden lokal" in page(empty)
    everyone = office.post("/staff/kody-aktywacyjne/generuj",
                           data={"format": "csv", "everyone": "y"})
    rows = list(csv.reader(io.StringIO(everyone.data.decode("utf-8-sig")), delimiter=";"))
    names = [row[1] for row in rows[1:]]
    assert "Halina Zawadzka" in names and "Irena Wilk" not in names


def test_staff_revoke_a_code_and_it_is_audited(office_client, host_client):
    holder = make_holder()
    plain = issue(holder)
    office = office_client(KU)
    with tenant_scope(tenant(KU)):
        code_id = db.session.scalar(select(ActivationCode.id))
    answer = office.post(f"/staff/kody-aktywacyjne/{code_id}/uniewaznij")
    assert answer.status_code == 302
    assert "unieważniono" in page(office.get("/staff/kody-aktywacyjne/"))
    again = office.post(f"/staff/kody-aktywacyjne/{code_id}/uniewaznij", follow_redirects=True)
    assert "Tego kodu nie można już unieważnić" in page(again)
    with tenant_scope(tenant(KU)):
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "activation.revoke")).all()
    assert [e.actor for e in events] == ["staff:biuro"]
    refused = host_client(f"{KU}.localhost").post("/aktywacja", data=form_for(plain, holder))
    assert "nie jest już ważny" in page(refused)


def test_an_amount_that_is_no_number_is_a_typo_not_a_wrong_try(host_client):
    holder = make_holder()
    plain = issue(holder)
    browser = host_client(f"{KU}.localhost")
    typo = browser.post("/aktywacja", data=form_for(plain, holder, amount="368,5O"))
    assert typo.status_code == 422
    assert "Wpisz kwotę liczbą, np. 512,40." in page(typo)
    with tenant_scope(tenant(KU)):
        row = db.session.scalar(select(ActivationCode).where(
            ActivationCode.unit_id == holder.unit_id))
        assert row.failed_attempts == 0


def test_a_mistyped_address_gets_a_new_link_after_the_password(host_client):
    holder = make_holder()
    plain = issue(holder)
    browser = host_client(f"{KU}.localhost")
    done = browser.post("/aktywacja", data=form_for(plain, holder, email="halina@exmaple.com"))
    assert done.status_code == 302
    login = re.search(r'id="activation-login">([^<]+)<',
                      page(browser.get("/aktywacja/wyslano")))[1]
    first_link = f"/aktywacja/potwierdz/{link_token(last_mail_to('halina@exmaple.com'))}"

    # Signing in says what the account waits for, and where to get a new link.
    waiting = page(browser.post("/logowanie", data={"login": login, "password": NEW_PASSWORD}))
    assert "czeka na potwierdzenie adresu e-mail" in waiting
    assert 'href="/aktywacja/nowy-odnosnik"' in waiting

    wrong = browser.post("/aktywacja/nowy-odnosnik", data={
        "login": login, "password": "Zle-Haslo-2026", "email": "halina@example.com"})
    assert wrong.status_code == 422 and "Nie wysłano odnośnika" in page(wrong)
    assert last_mail_to("halina@example.com") is None

    again = browser.post("/aktywacja/nowy-odnosnik", data={
        "login": login, "password": NEW_PASSWORD, "email": "halina@example.com"})
    assert again.status_code == 302
    assert "nowy odnośnik" in page(browser.get("/aktywacja/wyslano"))
    assert browser.get(first_link).status_code == 410             # the old link is void
    link = f"/aktywacja/potwierdz/{link_token(last_mail_to('halina@example.com'))}"
    assert login in page(browser.post(link, data={}))
    signed_in = browser.post("/logowanie", data={"login": login, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302

    # Confirmed: nothing more to send, the same answer as for a wrong password.
    done_already = host_client(f"{KU}.localhost").post("/aktywacja/nowy-odnosnik", data={
        "login": login, "password": NEW_PASSWORD, "email": "halina@example.com"})
    assert done_already.status_code == 422 and "Nie wysłano odnośnika" in page(done_already)
