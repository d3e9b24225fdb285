"""Contact data corrections in a real Chromium: the resident asks for a new e-mail address
and phone number, a member of the department the policy names opens the request on the
shared staff desk, compares the current and requested values and applies them; the resident
sees the request done — axe-core on every page."""

from __future__ import annotations

import pytest

from ..factories import RESIDENT_PASSWORD, STAFF_PASSWORD, STAFF_TOTP_SECRET, active_resident, staff
from .support import sign_in_resident, sign_in_staff

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ctx")]

SLUG = "gdynia"   # corrections are decided by its Accounting department


def test_resident_asks_and_the_department_applies(live_server, visitor):
    resident = active_resident(SLUG, "Olga", "Wrona", flat="3", email="olga@example.com")
    staff(SLUG, "ksiegowa", "accounting")
    v = visitor("contact-desk")
    url = lambda path: live_server.url(SLUG, path)  # noqa: E731

    home = v.new_page({"width": 390, "height": 844})
    sign_in_resident(home, url, resident.login, RESIDENT_PASSWORD)
    home.goto(url("/konto/dane/korekta"))
    home.fill("#email", "olga.nowa@example.com")
    home.fill("#phone", "600 700 800")
    home.click("main form [type=submit]")
    assert "Prośba o korektę danych została wysłana" in home.inner_text("main")
    v.check(home, "prosba")

    office = v.new_page()
    sign_in_staff(office, url, "ksiegowa", STAFF_PASSWORD, STAFF_TOTP_SECRET)
    office.goto(url("/staff/korekty-danych/"))
    assert "Olga Wrona" in office.inner_text("#corrections")
    v.check(office, "lista", "staff")
    office.click("#corrections a:has-text('Rozpatrz')")
    changes = office.inner_text("#changes")
    assert "olga@example.com" in changes and "olga.nowa@example.com" in changes
    v.check(office, "prosba", "staff")
    office.click("#reject")                                # a rejection needs a reason
    assert "Podaj powód odrzucenia" in office.inner_text("main")
    v.check(office, "bez-powodu", "staff")
    office.click("#apply")
    assert "Prośba załatwiona" in office.inner_text("main")
    assert "Brak oczekujących próśb." in office.inner_text("#corrections")
    office.goto(url("/staff/korekty-danych/?widok=rozpatrzone"))
    assert "wprowadzona" in office.inner_text("#corrections")
    v.check(office, "rozpatrzone", "staff")

    home.goto(url("/konto/dane/"))
    page_text = home.inner_text("main")
    assert "olga.nowa@example.com" in page_text and "wprowadzona" in page_text
    v.assert_accessible()
