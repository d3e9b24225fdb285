"""One person, several flats, on a phone (390 px) in a real Chromium: a Zielone Wzgórza
owner of flats in two associations switches between them with the switcher every page
shows; the meters and the ledger follow the choice, which the next page remembers; no page
is wider than the screen; axe-core on every page. Then the e-mail address changes by the
link sent to the new address."""

from __future__ import annotations

import re

import pytest

from ..factories import RESIDENT_PASSWORD, active_resident, give_title, make_meter
from .test_zielone_wzgorza import mail_body, wait_for_mail

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ctx")]

SLUG = "zielone-wzgorza"
PHONE = {"width": 390, "height": 844}


def _fits(page) -> None:
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= PHONE["width"], f"{page.url} is {scroll}px wide on a 390px screen"


def _switch_to(page, label_part: str) -> None:
    value = page.locator("#unit-switch option", has_text=label_part).get_attribute("value")
    page.select_option("#unit-switch", value)
    with page.expect_navigation():
        page.get_by_role("button", name="Przełącz").click()


def test_a_resident_switches_flats_on_a_phone(live_server, visitor):
    owner = active_resident(SLUG, first="Ewa", last="Dwojak", flat="21")
    neighbour = active_resident(SLUG, first="Jan", last="Obok", flat="22")
    give_title(SLUG, owner.person_id, neighbour.unit_id)
    make_meter(SLUG, owner.unit_id, serial="WM-PIERWSZY")
    make_meter(SLUG, neighbour.unit_id, serial="WM-DRUGI")
    v = visitor("flat-switcher-390")
    url = lambda path: live_server.url(SLUG, path)  # noqa: E731

    page = v.new_page(viewport=PHONE)
    page.goto(url("/logowanie"))
    page.fill("#login", owner.login)
    page.fill("#password", RESIDENT_PASSWORD)
    with page.expect_navigation(url=url("/konto")):
        page.click("main form [type=submit]")
    assert page.locator("#unit-switch").is_visible()   # on the page, not in the menu
    _fits(page)
    v.check(page, "konto-dwa-lokale")

    page.goto(url("/konto/wodomierze/"))
    meters = page.inner_text("main")
    assert "WM-PIERWSZY" in meters and "WM-DRUGI" in meters    # all flats until chosen
    _fits(page)
    v.check(page, "wodomierze-wszystkie")

    _switch_to(page, "/22,")
    assert page.url.endswith("/konto/wodomierze/")
    meters = page.inner_text("main")
    assert "WM-DRUGI" in meters and "WM-PIERWSZY" not in meters
    _fits(page)
    v.check(page, "wodomierze-drugi-lokal")

    # The next tab follows the choice without asking again.
    page.goto(url("/konto/saldo/"))
    assert re.search(r"/22, Miasto", page.inner_text("main h2"))
    selected = page.locator("#unit-switch option:checked").inner_text()
    assert "/22," in selected
    _fits(page)
    v.check(page, "saldo-drugi-lokal")

    _switch_to(page, "/21,")
    assert re.search(r"/21, Miasto", page.inner_text("main h2"))
    _fits(page)
    v.check(page, "saldo-pierwszy-lokal")

    page.goto(url("/konto/bezpieczenstwo/"))
    assert "/21," in page.locator("#unit-switch option:checked").inner_text()
    _fits(page)
    v.check(page, "bezpieczenstwo")

    assert v.pages_checked("resident") == 6
    v.assert_accessible()


def test_a_resident_changes_the_email_address_by_the_link(live_server, visitor):
    resident = active_resident(SLUG, first="Ola", last="Nowadres", flat="23")
    v = visitor("email-change")
    url = lambda path: live_server.url(SLUG, path)  # noqa: E731

    page = v.new_page(viewport=PHONE)
    page.goto(url("/logowanie"))
    page.fill("#login", resident.login)
    page.fill("#password", RESIDENT_PASSWORD)
    with page.expect_navigation(url=url("/konto")):
        page.click("main form [type=submit]")
    page.goto(url("/konto/bezpieczenstwo/"))
    with page.expect_navigation():
        page.get_by_role("link", name="Zmień adres e-mail").click()
    _fits(page)
    v.check(page, "zmiana-adresu")
    page.fill("#new_email", "ola.nowa@example.org")
    page.fill("#password", RESIDENT_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Wyślij odnośnik potwierdzający").click()
    assert "ola.nowa@example.org" in page.inner_text("main")

    message = wait_for_mail(live_server.mail, "Potwierdź nowy adres e-mail")
    assert message["To"].endswith("<ola.nowa@example.org>") or \
        message["To"] == "ola.nowa@example.org"
    link = re.search(r"http://\S+/konto/email/\S+", mail_body(message)).group(0)
    phone = v.new_page(viewport=PHONE)       # another device, not signed in
    phone.goto(link)
    _fits(phone)
    v.check(phone, "potwierdzenie-adresu")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Potwierdź nowy adres").click()
    assert "Adres e-mail został zmieniony" in phone.inner_text("main")
    v.check(phone, "adres-zmieniony")
    page.goto(url("/konto/email"))
    assert page.inner_text("#current-email") == "ola.nowa@example.org"
    v.assert_accessible()
