"""The back office's resident desk: search, account creation, credentials letters, blocks,
unblocks, recovery and revocation — with MZMK Brzeg's policy deciding the rules."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.tenancy import tenant_scope

from ..letters_text import letter_credentials, pdf_text
from .conftest import make_person, tenant

pytestmark = pytest.mark.usefixtures("ctx")

NEW_PASSWORD = "Nowe7Haslo"


def account_of(slug: str, person_id: int) -> ResidentAccount | None:
    with tenant_scope(tenant(slug)):
        account = db.session.scalar(select(ResidentAccount).where(
            ResidentAccount.person_id == person_id))
        if account is not None:
            db.session.refresh(account)
        return account


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def issue_letter(client, person_id: int) -> tuple[str, str]:
    """Create the account (if needed), issue credentials, read them from the PDF."""
    if account_of("brzeg", person_id) is None:
        assert client.post(f"/staff/osoby/{person_id}/konto").status_code == 302
    letter = client.post(f"/staff/osoby/{person_id}/dane-dostepowe",
                         data={"issue-reason": "Wydanie w biurze"})
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    return letter_credentials(pdf_text(letter.data)[0])


def resident_log_in(client, login: str, password: str):
    return client.post("/logowanie", data={"login": login, "password": password})


def activate_resident(client, login: str, password: str) -> None:
    """First login: own password, then the regulations; the portal is open after that."""
    assert resident_log_in(client, login, password).status_code == 302
    changed = client.post("/pierwsze-logowanie", data={
        "pw-current": password, "pw-new": NEW_PASSWORD, "pw-repeat": NEW_PASSWORD,
        "pw-submit": "1"})
    assert changed.status_code == 302, text(changed)
    assert client.post("/pierwsze-logowanie", data={
        "reg-accept": "y", "reg-submit": "1"}).status_code == 302
    assert client.get("/konto").status_code == 200


@pytest.fixture
def finance(staff_client):
    """A Brzeg staff member of the Finance Department, which decides blocks there."""
    return staff_client("brzeg", "a.nowak", "finance")


def test_back_office_needs_a_staff_login(synced, host_client):
    client = host_client("brzeg.localhost")
    for path in ("/staff/", "/staff/mieszkancy?q=x", "/staff/konta/masowo",
                 "/staff/pracownicy"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/staff/logowanie" in response.headers["Location"]


def test_dashboard_counts_accounts_by_state(finance):
    first = make_person("brzeg", "Anna", "Zielińska")
    make_person("brzeg", "Piotr", "Mazur", building="5")
    issue_letter(finance, first)
    page = text(finance.get("/staff/"))
    assert "Pulpit" in page and "Szukaj mieszkańca" in page
    assert 'id="count-must_change"' in page
    row = page.split('id="count-must_change"')[1].split("</tr>")[0]
    assert ">1</td>" in row
    assert "bez konta: 1" in page  # Brzeg's manager creates accounts: the batch is offered


def test_search_by_name_login_and_address(finance):
    anna = make_person("brzeg", "Anna", "Zielińska", street="ul. Lipowa", building="3",
                       flat="12")
    make_person("brzeg", "Piotr", "Mazur", street="ul. Ogrodowa", building="7", flat="1")
    make_person("gdynia", "Anna", "Zielińska")  # another cooperative's namesake
    assert finance.post(f"/staff/osoby/{anna}/konto").status_code == 302
    login = account_of("brzeg", anna).login

    for query in ("Zielińska", "anna zielińska", "ZIELI", login, "Lipowa 3/12", "lipowa"):
        page = text(finance.get("/staff/mieszkancy", query_string={"q": query}))
        assert page.count(f'href="/staff/osoby/{anna}"') == 1, query
        assert "Mazur" not in page, query
    page = text(finance.get("/staff/mieszkancy", query_string={"q": "Zielińska"}))
    assert "ul. Lipowa 3/12, Brzeg" in page and login in page
    assert "Przygotowane — dane dostępowe niewydane" in page
    assert "Nikogo nie znaleziono" in text(
        finance.get("/staff/mieszkancy", query_string={"q": "Nowakowski"}))
    # LIKE wildcards typed by the user are taken literally
    assert "Nikogo nie znaleziono" in text(
        finance.get("/staff/mieszkancy", query_string={"q": "%"}))


def test_search_caps_the_list_with_a_note(finance, monkeypatch):
    from iok_saas.modules.accounts import search as services

    for n in range(3):
        make_person("brzeg", f"Jan{n}", "Kowalski", building=str(10 + n))
    monkeypatch.setattr(services, "SEARCH_LIMIT", 2)
    page = text(finance.get("/staff/mieszkancy", query_string={"q": "Kowalski"}))
    assert page.count('href="/staff/osoby/') == 2
    assert "Pokazano pierwsze 2 wyników" in page


def test_create_account_and_issue_letter_the_resident_can_log_in(finance, host_client):
    person = make_person("brzeg", "Anna", "Zielińska")
    page = text(finance.get(f"/staff/osoby/{person}"))
    assert "Ta osoba nie ma konta" in page and "Utwórz konto" in page

    created = finance.post(f"/staff/osoby/{person}/konto")
    assert created.status_code == 302
    page = text(finance.get(f"/staff/osoby/{person}"))
    account = account_of("brzeg", person)
    assert account.state == "pending" and account.login in page
    assert "Utworzenie konta" in page  # the audit trail, in Polish

    letter = finance.post(f"/staff/osoby/{person}/dane-dostepowe",
                          data={"issue-reason": "Wydanie w biurze"})
    assert letter.mimetype == "application/pdf"
    assert letter.headers["Cache-Control"] == "no-store"
    assert "attachment" in letter.headers["Content-Disposition"]
    pages = pdf_text(letter.data)
    assert len(pages) == 1
    login, password = letter_credentials(pages[0])
    assert login == account.login
    assert "Anna Zielińska" in pages[0] and "ul. Lipowa 3/12, Brzeg" in pages[0]
    assert "co najmniej 4 znaki" in pages[0]  # Brzeg's own password rules

    account = account_of("brzeg", person)
    assert account.state == "must_change"
    assert account.letter_number in pages[0]
    page = text(finance.get(f"/staff/osoby/{person}"))
    assert "Wydanie danych dostępowych" in page
    assert f"Pracownik a.nowak ({tenant('brzeg').department_name('finance')})" in page
    assert "Hasło początkowe ważne do" in page

    resident = host_client("brzeg.localhost")
    response = resident_log_in(resident, login, password)
    assert response.status_code == 302 and response.headers["Location"].endswith("/konto")

    again = finance.post(f"/staff/osoby/{person}/konto")
    assert again.status_code == 409
    assert f"Ta osoba ma już konto (identyfikator {login})" in text(again)


def test_issue_needs_a_reason_and_keeps_the_page(finance):
    person = make_person("brzeg")
    finance.post(f"/staff/osoby/{person}/konto")
    response = finance.post(f"/staff/osoby/{person}/dane-dostepowe", data={"issue-reason": " "})
    assert response.status_code == 422
    assert "Podaj powód." in text(response)
    assert account_of("brzeg", person).state == "pending"


def test_a_department_that_does_not_decide_cannot_block(staff_client, finance):
    person = make_person("brzeg")
    login, password = issue_letter(finance, person)
    secretariat = staff_client("brzeg", "b.lis", "secretariat", role="staff")

    page = text(secretariat.get(f"/staff/osoby/{person}"))
    assert "O blokowaniu i odblokowaniu kont decyduje: Wydział Finansowy" in page
    assert f'action="/staff/osoby/{person}/blokada"' not in page

    refused = secretariat.post(f"/staff/osoby/{person}/blokada", data={
        "block-trigger": "misuse", "block-channel": "", "block-reason": "Nadużycie"})
    assert refused.status_code == 403
    assert "Blokady i odblokowania zatwierdza wyłącznie: Wydział Finansowy" in text(refused)
    assert account_of("brzeg", person).state == "must_change"


def test_block_form_errors_are_polish_and_keep_what_was_typed(finance):
    person = make_person("brzeg")
    issue_letter(finance, person)
    page = text(finance.get(f"/staff/osoby/{person}"))
    # the policy's triggers (not failed_logins, which the system itself applies)
    assert 'value="reported_lost"' in page and 'value="misuse"' in page
    assert 'value="failed_logins"' not in page
    assert "Zgłoszenia utraty danych przyjmujemy: telefonicznie, osobiście, pisemnie" in page

    response = finance.post(f"/staff/osoby/{person}/blokada", data={
        "block-trigger": "reported_lost", "block-channel": "phone", "block-reason": ""})
    assert response.status_code == 422
    page = text(response)
    assert "Opisz, dlaczego konto jest blokowane." in page
    assert '<option selected value="reported_lost">' in page
    assert '<option selected value="phone">' in page
    assert 'aria-invalid="true"' in page
    assert account_of("brzeg", person).state == "must_change"


def test_block_ends_the_resident_session_and_unblock_issues_new_credentials(
        finance, host_client):
    person = make_person("brzeg", "Anna", "Zielińska")
    login, password = issue_letter(finance, person)
    resident = host_client("brzeg.localhost")
    activate_resident(resident, login, password)

    blocked = finance.post(f"/staff/osoby/{person}/blokada", data={
        "block-trigger": "reported_lost", "block-channel": "phone",
        "block-reason": "Zgłoszenie telefoniczne: zgubione hasło"})
    assert blocked.status_code == 302
    assert account_of("brzeg", person).state == "blocked"

    next_request = resident.get("/konto")
    assert next_request.status_code == 302
    assert "/logowanie" in next_request.headers["Location"]
    assert "Konto jest zablokowane" in text(resident_log_in(resident, login, NEW_PASSWORD))

    page = text(finance.get(f"/staff/osoby/{person}"))
    assert "Aktywna blokada" in page
    assert "Zgłoszona utrata danych dostępowych" in page and "Telefonicznie" in page
    assert "Zgłoszenie telefoniczne: zgubione hasło" in page
    assert "Nowe dane dostępowe wydawane osobiście" in page  # Brzeg §11
    again = finance.post(f"/staff/osoby/{person}/blokada", data={
        "block-trigger": "misuse", "block-reason": "x"})
    assert again.status_code == 409 and "już zablokowane" in text(again)

    letter = finance.post(f"/staff/osoby/{person}/odblokowanie", data={})
    assert letter.mimetype == "application/pdf"
    assert letter.headers["Cache-Control"] == "no-store"
    new_login, new_password = letter_credentials(pdf_text(letter.data)[0])
    assert new_login == login and new_password != password
    assert account_of("brzeg", person).state == "must_change"
    fresh = host_client("brzeg.localhost")
    assert "Konto jest zablokowane" not in text(resident_log_in(fresh, login, NEW_PASSWORD))
    assert resident_log_in(fresh, login, new_password).status_code == 302

    page = text(finance.get(f"/staff/osoby/{person}"))
    assert "Aktywna blokada" not in page
    assert "Odblokowanie" in page and "Blokada" in page

    not_blocked = finance.post(f"/staff/osoby/{person}/odblokowanie", data={})
    assert not_blocked.status_code == 409
    assert "To konto nie jest zablokowane." in text(not_blocked)


def test_in_person_recovery_asks_for_the_identity_check_then_prints_a_letter(finance):
    person = make_person("brzeg")
    login, old_password = issue_letter(finance, person)
    page = text(finance.get(f"/staff/osoby/{person}"))
    assert "Nowe dane dostępowe wydawane osobiście w biurze" in page

    missing = finance.post(f"/staff/osoby/{person}/odzyskanie", data={
        "reset-request_note": "Zapomniane hasło, wizyta w biurze"})
    assert missing.status_code == 422
    page = text(missing)
    assert "Potwierdź, że dokument tożsamości został sprawdzony." in page
    assert 'value="Zapomniane hasło, wizyta w biurze"' in page

    letter = finance.post(f"/staff/osoby/{person}/odzyskanie", data={
        "reset-request_note": "Zapomniane hasło, wizyta w biurze",
        "reset-identity_checked": "y"})
    assert letter.mimetype == "application/pdf"
    new_login, new_password = letter_credentials(pdf_text(letter.data)[0])
    assert new_login == login and new_password != old_password


def test_revoke_needs_a_confirmation_and_is_permanent(finance, host_client):
    person = make_person("brzeg")
    login, password = issue_letter(finance, person)

    unconfirmed = finance.post(f"/staff/osoby/{person}/usuniecie", data={
        "revoke-reason": "Sprzedaż lokalu"})
    assert unconfirmed.status_code == 422
    page = text(unconfirmed)
    assert "Zaznacz potwierdzenie, aby usunąć dostęp." in page
    assert "Sprzedaż lokalu</textarea>" in page
    assert account_of("brzeg", person).state == "must_change"

    done = finance.post(f"/staff/osoby/{person}/usuniecie", data={
        "revoke-reason": "Sprzedaż lokalu", "revoke-confirm": "y"})
    assert done.status_code == 302
    assert account_of("brzeg", person).state == "revoked"
    page = text(finance.get(f"/staff/osoby/{person}"))
    assert "Dostęp usunięty" in page and "Usunięcie dostępu" in page
    assert "Wydaj dane dostępowe" not in page

    refused_login = resident_log_in(host_client("brzeg.localhost"), login, password)
    assert refused_login.status_code != 302
    assert "Dostęp do tego konta został wyłączony" in text(refused_login)
    refused = finance.post(f"/staff/osoby/{person}/dane-dostepowe",
                           data={"issue-reason": "ponownie"})
    assert refused.status_code == 409 and "usunięto na stałe" in text(refused)
    twice = finance.post(f"/staff/osoby/{person}/usuniecie", data={
        "revoke-reason": "x", "revoke-confirm": "y"})
    assert twice.status_code == 409 and "został już usunięty" in text(twice)


def test_audit_trail_is_newest_first_in_warsaw_time(finance):
    person = make_person("brzeg")
    issue_letter(finance, person)
    page = text(finance.get(f"/staff/osoby/{person}"))
    history = page.split("Historia konta")[1]
    assert history.index("Wydanie danych dostępowych") < history.index("Utworzenie konta")
    with tenant_scope(tenant("brzeg")):
        from iok_saas.modules.audit.services import events_of
        from iok_saas.timeutil import local

        account = db.session.scalar(select(ResidentAccount).where(
            ResidentAccount.person_id == person))
        newest = events_of(account)[0]
        assert local(newest.at).strftime("%d.%m.%Y %H:%M") in history


def test_forms_are_protected_by_csrf(finance, synced):
    person = make_person("brzeg")
    synced.config["WTF_CSRF_ENABLED"] = True
    response = finance.post(f"/staff/osoby/{person}/konto")
    assert response.status_code == 400
    assert account_of("brzeg", person) is None
