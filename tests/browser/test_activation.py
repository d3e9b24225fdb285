"""An activation code in a real Chromium: the resident goes from the printed code to signed
in (registration, the e-mail link from a real SMTP server, sign-in, regulations), and the
staff desk lists the code as used — axe-core on every page."""

from __future__ import annotations

import re

import pytest

from ..activation.helpers import AMOUNT, NEW_PASSWORD, issue, make_holder
from ..factories import STAFF_PASSWORD, STAFF_TOTP_SECRET, staff
from .support import ends_at, type_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ctx")]

SLUG = "kuzniki"


def test_resident_goes_from_a_printed_code_to_signed_in(live_server, visitor):
    holder = make_holder(SLUG)
    code = issue(holder, SLUG)
    staff(SLUG, "k.nowak", None, "admin")
    v = visitor("activation")
    url = lambda path: live_server.url(SLUG, path)  # noqa: E731

    page = v.new_page()
    page.goto(url("/logowanie"))
    with page.expect_navigation(url=ends_at("/aktywacja")):
        page.click("#activation-link a")
    v.check(page, "aktywacja")
    fields = {"#code": code.lower(), "#flat_number": holder.flat, "#amount": "1,00",
              "#email": "halina@example.com", "#new": NEW_PASSWORD, "#repeat": NEW_PASSWORD}
    for selector, value in fields.items():
        page.fill(selector, value)
    page.click("main form [type=submit]")
    assert "Nie udało się potwierdzić danych" in page.inner_text("#activation-error")
    v.check(page, "aktywacja-blad")
    for selector, value in {**fields, "#amount": AMOUNT}.items():
        page.fill(selector, value)
    with page.expect_navigation(url=ends_at("/aktywacja/wyslano")):
        page.click("main form [type=submit]")
    login = page.inner_text("#activation-login").strip()
    v.check(page, "aktywacja-wyslano")

    (message,) = live_server.mail.wait_for(1)
    assert "halina@example.com" in message["To"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://\S+/aktywacja/potwierdz/\S+", body)[0]
    page.goto(link)
    v.check(page, "potwierdz-adres")
    page.click("main form [type=submit]")
    assert login in page.inner_text("#activation-confirmed")
    v.check(page, "konto-aktywne")

    with page.expect_navigation(url=ends_at("/logowanie")):
        page.click("main a.btn")
    page.fill("#login", login)
    page.fill("#password", NEW_PASSWORD)
    with page.expect_navigation():
        page.click("main form [type=submit]")
    if page.url.split("#")[0].endswith("/pierwsze-logowanie"):
        v.check(page, "regulamin")
        page.check("#reg-accept")
        with page.expect_navigation():
            page.click("#reg-submit")
    assert page.url.split("#")[0] == url("/konto"), page.url
    main = page.inner_text("main")
    assert login in main and f"ul. Sosnowa {holder.building}/{holder.flat}" in main
    v.check(page, "zalogowana")

    office = v.new_page()
    office.goto(url("/staff/logowanie"))
    office.fill("#login", "k.nowak")
    office.fill("#password", STAFF_PASSWORD)
    office.click("main form [type=submit]")
    type_second_factor(office, STAFF_TOTP_SECRET)
    office.wait_for_url(url("/staff/"))
    office.click("header nav >> text=Kody aktywacyjne")
    office.wait_for_url(url("/staff/kody-aktywacyjne/"))
    assert "wykorzystany" in office.inner_text("#codes")
    v.check(office, "kody-aktywacyjne", "staff")
    v.assert_accessible()
