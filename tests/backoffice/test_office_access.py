"""Back office: tenant isolation, Brzeg's batch of accounts and letters, staff administration."""

from __future__ import annotations

import html
from datetime import date

import pytest
from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.housing.models import Person
from iok_saas.modules.staff.models import StaffMember
from iok_saas.tenancy import tenant_scope

from ..factories import enrol_when_asked
from ..letters_text import letter_credentials, pdf_text
from .conftest import make_person, staff_login, tenant

pytestmark = pytest.mark.usefixtures("ctx")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def accounts_in(slug: str) -> list[ResidentAccount]:
    with tenant_scope(tenant(slug)):
        return list(db.session.scalars(select(ResidentAccount).order_by(ResidentAccount.id)))


# --- tenant isolation ----------------------------------------------------------------------

def test_brzeg_staff_get_404_for_a_gdynia_person(staff_client):
    brzeg = staff_client("brzeg", "a.nowak", "finance")
    gdynia_person = make_person("gdynia", "Ewa", "Gdyńska")
    with tenant_scope(tenant("gdynia")):
        person = db.session.get(Person, gdynia_person)
        accounts.create_account(person, "test")
        db.session.commit()
    assert brzeg.get(f"/staff/osoby/{gdynia_person}").status_code == 404
    for action in ("konto", "dane-dostepowe", "blokada", "odblokowanie", "odzyskanie",
                   "usuniecie"):
        response = brzeg.post(f"/staff/osoby/{gdynia_person}/{action}", data={
            "issue-reason": "x", "block-trigger": "misuse", "block-reason": "x",
            "revoke-reason": "x", "revoke-confirm": "y"})
        assert response.status_code == 404, action
    assert [a.state for a in accounts_in("gdynia")] == ["pending"]
    page = text(brzeg.get("/staff/mieszkancy", query_string={"q": "Gdyńska"}))
    assert "Nikogo nie znaleziono" in page


def test_brzeg_staff_cannot_sign_in_at_gdynia(staff_client, host_client):
    brzeg = staff_client("brzeg", "a.nowak", "finance")
    gdynia = host_client("gdynia.localhost")
    refused = staff_login(gdynia, "a.nowak")
    assert refused.status_code == 200
    assert "Nieprawidłowy login lub hasło." in text(refused)
    assert "/staff/logowanie" in gdynia.get("/staff/").headers["Location"]

    # the Brzeg session cookie is worthless on the Gdynia host
    cookie = brzeg.get_cookie("iok_session", domain="brzeg.localhost")
    gdynia.set_cookie("iok_session", cookie.value, domain="gdynia.localhost")
    response = gdynia.get("/staff/")
    assert response.status_code == 302 and "/staff/logowanie" in response.headers["Location"]


# --- Brzeg: the manager creates every account ----------------------------------------------

def test_batch_creates_accounts_and_one_letter_per_person(staff_client):
    client = staff_client("brzeg", "a.nowak", "finance")
    holders = [make_person("brzeg", f"Imię{n}", f"Nazwisko{n}", building=str(20 + n))
               for n in range(3)]
    make_person("brzeg", "Stary", "Właściciel", valid_from=date(2001, 1, 1),
                valid_to=date(2010, 12, 31))  # the title has ended: no account
    existing = make_person("brzeg", "Ma", "Konto")
    assert client.post(f"/staff/osoby/{existing}/konto").status_code == 302

    page = text(client.get("/staff/konta/masowo"))
    assert "Osoby bez konta: 3" in page
    assert "Właściciel" not in page

    unconfirmed = client.post("/staff/konta/masowo", data={})
    assert unconfirmed.status_code == 422
    assert "Zaznacz potwierdzenie, aby utworzyć konta." in text(unconfirmed)
    assert len(accounts_in("brzeg")) == 1

    letters = client.post("/staff/konta/masowo", data={"confirm": "y"})
    assert letters.status_code == 200 and letters.mimetype == "application/pdf"
    assert letters.headers["Cache-Control"] == "no-store"
    pages = pdf_text(letters.data)
    assert len(pages) == 3
    created = [a for a in accounts_in("brzeg") if a.person_id in holders]
    assert len(created) == 3 and {a.state for a in created} == {"must_change"}
    printed = {letter_credentials(p)[0] for p in pages}
    assert printed == {a.login for a in created}
    assert "Osoby bez konta: 0" in text(client.get("/staff/konta/masowo"))
    nothing_left = client.post("/staff/konta/masowo", data={"confirm": "y"})
    assert nothing_left.status_code == 302
    assert "mają już konta" in text(client.get(nothing_left.headers["Location"]))


def test_batch_exists_only_where_the_manager_creates_accounts(staff_client):
    gdynia = staff_client("gdynia", "k.nowak", "accounting")
    assert gdynia.get("/staff/konta/masowo").status_code == 404
    assert gdynia.post("/staff/konta/masowo", data={"confirm": "y"}).status_code == 404
    assert "Konta masowo" not in text(gdynia.get("/staff/"))


# --- staff administration ------------------------------------------------------------------

def test_a_staff_member_who_is_not_an_administrator_gets_403(staff_client):
    client = staff_client("brzeg", "b.lis", "secretariat", role="staff")
    response = client.get("/staff/pracownicy")
    assert response.status_code == 403
    assert "Tę stronę widzą tylko administratorzy biura" in text(response)
    assert client.post("/staff/pracownicy", data={
        "login": "x.y", "full_name": "X", "department": "finance",
        "role": "admin"}).status_code == 403
    with tenant_scope(tenant("brzeg")):
        assert db.session.scalar(select(func.count(StaffMember.id))) == 1


def test_an_administrator_adds_a_colleague_with_a_one_time_password(staff_client, host_client):
    admin = staff_client("brzeg", "a.nowak", "finance")
    page = text(admin.get("/staff/pracownicy"))
    assert "a.nowak" in page and "Wydział Finansowy" in page
    assert '<option value="secretariat">Sekretariat</option>' in page

    added = admin.post("/staff/pracownicy", data={
        "login": "C.Wrona", "full_name": "Celina Wrona", "email": "c.wrona@example.com",
        "department": "secretariat", "role": "staff"})
    assert added.status_code == 200
    assert added.headers["Cache-Control"] == "no-store"
    page = text(added)
    assert "Dodano pracownika Celina Wrona" in page and "c.wrona" in page
    password = page.split('<code class="fs-5">')[1].split("</code>")[0]
    assert len(password) == 12
    assert password not in text(admin.get("/staff/pracownicy"))  # shown once

    colleague = host_client("brzeg.localhost")
    first = staff_login(colleague, "c.wrona", password)
    assert first.headers["Location"].endswith("/logowanie/drugi-krok/konfiguracja")
    enrol_when_asked(colleague)  # staff must have a second factor before anything else
    assert colleague.get("/staff/").headers["Location"].endswith("/staff/haslo")

    duplicate = admin.post("/staff/pracownicy", data={
        "login": "c.wrona", "full_name": "Cezary Wrona", "email": "",
        "department": "finance", "role": "staff"})
    assert duplicate.status_code == 422
    page = text(duplicate)
    assert "Login „c.wrona” jest już zajęty" in page
    assert 'value="Cezary Wrona"' in page

    invalid = admin.post("/staff/pracownicy", data={
        "login": "a", "full_name": "", "email": "nie-email", "department": "nowhere",
        "role": "staff"})
    assert invalid.status_code == 422
    page = text(invalid)
    assert "Login: 3–80 znaków" in page
    assert "Podaj imię i nazwisko." in page
    assert "Podaj poprawny adres e-mail." in page
    assert 'value="nie-email"' in page
