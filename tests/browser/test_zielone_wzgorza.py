"""Scenario A, Zielone Wzgórza, in a real Chromium: the online application, the e-mail
link, the staff's approval and pickup (credentials letter), the first login by keyboard
only, a meter reading and the ledger — axe-core on every page, a screenshot of each."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from iok_saas.extensions import db
from iok_saas.modules.housing.models import Association, Person, Title, Unit
from iok_saas.modules.ledger.models import LedgerEntry
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import WARSAW, utcnow

from ..factories import STAFF_PASSWORD, STAFF_TOTP_SECRET, make_meter, staff, tenant
from ..letters_text import letter_credentials, pdf_text
from ..polling import poll
from .support import focused, tab, type_credentials_by_keyboard, type_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ctx")]

SLUG = "zielone-wzgorza"
NEW_PASSWORD = "Sosna-4821-Las"   # ZW: 6+ characters with a digit; meets the platform floor too


def _month(day: date, back: int) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def housing_data() -> dict:
    """Anna Lis's flat as the cooperative's records have it (the address she will type),
    with a water meter read by the cooperative, and a few months of ledger entries."""
    today = utcnow().astimezone(WARSAW).date()
    with tenant_scope(tenant(SLUG)):
        assoc = Association(external_id="BR-A1", name="Nieruchomość ul. Leśna 3",
                            street="ul. Leśna 3", postal_code="62-095",
                            city="Murowana Goślina")
        unit = Unit(external_id="BR-U1", association=assoc, street="ul. Leśna",
                    building_number="3", unit_number="12", city="Murowana Goślina",
                    bank_account="12" + "1140" * 6)
        person = Person(external_id="BR-P1", first_name="Anna", last_name="Lis")
        db.session.add_all([assoc, unit, person])
        db.session.flush()
        db.session.add(Title(external_id="BR-T1", person_id=person.id, unit_id=unit.id,
                             kind="owner", valid_from=date(2019, 5, 1)))
        rows = [
            (_month(today, 2), "charge", "512.40", "Opłata za lokal", "rent"),
            (_month(today, 2) + timedelta(days=9), "payment", "-512.40", "Wpłata", "rent"),
            (_month(today, 1), "charge", "512.40", "Opłata za lokal", "rent"),
            (_month(today, 1), "charge", "88.10", "Rata kredytu", "loan"),
            (_month(today, 1) + timedelta(days=12), "payment", "-400.00", "Wpłata", "rent"),
        ]
        for n, (booking, kind, amount, title, component) in enumerate(rows):
            db.session.add(LedgerEntry(external_id=f"BR-L{n}", unit_id=unit.id,
                                       booking_date=booking, period=booking.replace(day=1),
                                       kind=kind, component=component, title=title,
                                       amount=Decimal(amount)))
        db.session.commit()
        found = {"person_id": person.id, "unit_id": unit.id, "meter": "WM-77001"}
    make_meter(SLUG, found["unit_id"], [(today - timedelta(days=days_ago), value)
                                        for days_ago, value in ((90, "100.000"),
                                                                (60, "106.000"),
                                                                (30, "112.000"))],
               serial=found["meter"])
    return found


def mail_body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def wait_for_mail(server, subject_part: str, timeout: float = 20.0):
    found = poll(lambda: [m for m in server.messages if subject_part in m["Subject"]], bool,
                 timeout)
    assert found, (f"no e-mail about {subject_part!r}; got "
                   f"{[m['Subject'] for m in server.messages]}")
    return found[-1]


def test_enrolment_first_login_reading_and_ledger(live_server, visitor):
    data = housing_data()
    staff(SLUG, "k.nowak")
    v = visitor("zielone-wzgorza")
    url = lambda path: live_server.url(SLUG, path)  # noqa: E731

    # --- 1. the resident fills in the electronic form ----------------------------------
    resident = v.new_page()
    resident.goto(url("/wniosek"))
    v.check(resident, "wniosek")
    resident.fill("#first_name", "Anna")
    resident.fill("#last_name", "Lis")
    resident.fill("#email", "anna.lis@example.com")
    resident.fill("#phone", "600 100 200")
    resident.select_option("#applicant_type", "owner")
    resident.fill("#street", "Leśna")              # typed without "ul.", as people do
    resident.fill("#building_number", "3")
    resident.fill("#flat_number", "12")
    resident.fill("#city", "Murowana Goślina")
    with resident.expect_navigation():                # the rules not accepted yet: refused
        resident.click("#submit")
    assert resident.get_attribute("#accept_regulations", "aria-describedby") == \
        "accept_regulations-err"                      # the reason is tied to the checkbox
    assert "akceptacji regulaminu" in resident.inner_text("main")
    assert resident.input_value("#last_name") == "Lis"
    v.check(resident, "wniosek-brak-akceptacji")
    resident.check("#accept_regulations")
    with resident.expect_navigation(url="**/wniosek/wyslany"):
        resident.click("#submit")
    assert "anna.lis@example.com" in resident.inner_text("main")
    v.check(resident, "wniosek-wyslany")

    # --- 2. the confirmation e-mail, its link opened in the browser --------------------
    confirmation = wait_for_mail(live_server.mail, "Potwierdź adres e-mail")
    link = re.search(r"http://\S+/wniosek/potwierdz/\S+", mail_body(confirmation)).group(0)
    assert link.startswith(url("/wniosek/potwierdz/")), link   # the live server's port
    resident.goto(link)
    v.check(resident, "potwierdzenie-e-mail")
    with resident.expect_navigation():
        resident.click("main form [type=submit]")
    assert "potwierdzony" in resident.inner_text("main")
    v.check(resident, "e-mail-potwierdzony")
    wait_for_mail(live_server.mail, "Wniosek o dostęp został przyjęty")

    # --- 3. staff approve the application and hand over the credentials letter ---------
    office = v.new_page()
    office.goto(url("/staff/logowanie"))
    v.check(office, "staff-logowanie", "staff")
    office.fill("#login", "k.nowak")
    office.fill("#password", STAFF_PASSWORD)
    office.click("main form [type=submit]")
    v.check(office, "staff-drugi-krok", "staff")
    with office.expect_navigation(url="**/staff/"):
        type_second_factor(office, STAFF_TOTP_SECRET)
    v.check(office, "staff-start", "staff")
    office.goto(url("/staff/wnioski/"))
    v.check(office, "staff-wnioski", "staff")
    number = office.locator("main table a").filter(has_text=re.compile(r"^W/")).first
    with office.expect_navigation(url=re.compile(r"/staff/wnioski/\d+$")):
        number.click()
    assert "Anna Lis" in office.inner_text("#applicant")
    v.check(office, "staff-wniosek", "staff")
    office.check(f"#approve-person_id-{data['person_id']}")
    with office.expect_navigation():
        office.click("#approve-submit")
    assert "Wniosek zatwierdzony" in office.inner_text("main")
    v.check(office, "staff-wniosek-zatwierdzony", "staff")
    wait_for_mail(live_server.mail, "Dostęp jest gotowy do odbioru")

    office.select_option("#pickup-document_type", "id_card")
    office.check("#pickup-identity_checked")
    office.check("#pickup-application_signed")
    with office.expect_download() as download:
        office.click("#pickup-submit")
    letter = Path(download.value.path()).read_bytes()
    login, initial_password = letter_credentials(pdf_text(letter)[0])
    office.reload()
    assert "Zakończony" in office.inner_text("main")
    v.check(office, "staff-wniosek-zakonczony", "staff")
    office.goto(url("/staff/wnioski/odbior"))
    v.check(office, "staff-odbior", "staff")

    # --- 4. first login, by keyboard only ----------------------------------------------
    resident.goto(url("/logowanie"))
    v.check(resident, "logowanie")
    type_credentials_by_keyboard(resident, login, initial_password)
    submit = tab(resident)
    assert submit["type"] == "submit", submit
    with resident.expect_navigation(url="**/pierwsze-logowanie"):
        resident.keyboard.press("Enter")
    v.check(resident, "pierwsze-logowanie")

    first = tab(resident)
    assert "skip-link" in first["cls"], first
    resident.keyboard.press("Enter")                   # the skip link: straight to the form
    assert focused(resident)["id"] == "content"
    order = []
    for text in (initial_password, NEW_PASSWORD, NEW_PASSWORD):
        element = tab(resident)
        order.append(element["id"])
        resident.keyboard.type(text)
    assert order == ["pw-current", "pw-new", "pw-repeat"]
    assert tab(resident)["id"] == "pw-submit"
    with resident.expect_navigation():
        resident.keyboard.press("Enter")
    if "/pierwsze-logowanie" in resident.url:          # the rules, where still to accept
        v.check(resident, "pierwsze-logowanie-regulamin")
        resident.check("#reg-accept")
        with resident.expect_navigation():
            resident.click("#reg-submit")
    assert resident.url.split("#")[0] == url("/konto"), resident.url
    v.check(resident, "konto")

    # --- 5. a meter reading --------------------------------------------------------------
    resident.goto(url("/konto/wodomierze/"))
    assert data["meter"] in resident.inner_text("main")
    v.check(resident, "wodomierze")
    resident.goto(url("/konto/wodomierze/odczyt"))
    v.check(resident, "odczyt")
    resident.fill("#value", "117,850")
    with resident.expect_navigation(url=url("/konto/wodomierze/")):
        resident.click("#submit")
    main = resident.inner_text("main")
    assert "Odczyt został wysłany" in main and "117,850" in main
    v.check(resident, "wodomierze-po-odczycie")

    # --- 6. the ledger, from the navigation ---------------------------------------------
    with resident.expect_navigation(url=url("/konto/saldo/")):
        resident.get_by_role("navigation").get_by_role("link", name="Saldo").first.click()
    main = resident.inner_text("main")
    assert "Rata kredytu" in main and "Opłata za lokal" in main
    assert "200,50" in main                      # 1112,90 charged − 912,40 paid, due
    v.check(resident, "saldo")

    # --- 7. every other tab the cooperative shows ------------------------------------------
    seen = {url(p) for p in ("/konto/saldo/", "/konto/wodomierze/", "/konto/wodomierze/odczyt",
                             "/konto")}
    tabs = resident.locator("header nav a.nav-link[href^='/konto']")
    hrefs = [tabs.nth(i).get_attribute("href") for i in range(tabs.count())]
    others = [h for h in hrefs if url(h) not in seen]
    assert others, hrefs                           # faults and announcements in ZW
    for href in others:
        resident.goto(url(href))
        v.check(resident, href.strip("/").replace("konto/", "") or "konto")

    assert v.pages_checked("resident") >= 10 and v.pages_checked("staff") >= 5
    v.assert_accessible()
