"""Keyboard only, in a real Chromium (SM Kuźniki, whose first login asks for a new password
and then for the regulations): the skip link comes first, every field is reached in
reading order with a visible focus indicator, and forms are sent with Enter."""

from __future__ import annotations

import pytest

from ..factories import credentials, resident
from .support import describe_focus, ends_at, focused, tab, tab_to, type_credentials_by_keyboard

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ctx")]

SLUG = "kuzniki"
NEW_PASSWORD = "Jesion-7315-Staw"


def test_login_and_first_login_by_keyboard(live_server, visitor):
    login, initial_password = credentials(SLUG, resident(SLUG, "Marta", "Kowal", flat="9"))
    v = visitor("kuzniki-klawiatura")
    url = lambda path: live_server.url(SLUG, path)  # noqa: E731
    page = v.new_page()

    # The login page, walked from the top: skip link, header links, then the form.
    page.goto(url("/logowanie"))
    v.check(page, "logowanie")
    type_credentials_by_keyboard(page, login, "nie-to-haslo-1")
    with page.expect_navigation():
        page.keyboard.press("Enter")                 # Enter in the field sends the form
    assert "Nieprawidłowy identyfikator lub hasło" in page.inner_text("main [role=alert]")
    v.check(page, "logowanie-blad")

    # Second try through the skip link: straight to the form, the login kept as typed.
    assert "skip-link" in tab(page)["cls"]
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "content"
    field = tab(page)
    assert field["id"] == "login" and page.input_value("#login") == login, field
    assert tab(page)["id"] == "password"
    page.keyboard.type(initial_password)
    button = tab(page)
    assert button["type"] == "submit" and button["tag"] in ("input", "button"), button
    v.snapshot(page, "logowanie-fokus-na-przycisku")
    with page.expect_navigation(url=ends_at("/pierwsze-logowanie")):
        page.keyboard.press("Enter")
    # The skip link's #content stays in the address through the redirects, and a page
    # opened at #content starts keyboard navigation inside <main>; walk it from the top.
    page.goto(url("/pierwsze-logowanie"))
    v.check(page, "pierwsze-logowanie-haslo")

    # First login, step 1: the new password, fields in reading order.
    assert "skip-link" in tab(page)["cls"]
    page.keyboard.press("Enter")
    order = []
    for text in (initial_password, NEW_PASSWORD, NEW_PASSWORD):
        order.append(tab(page)["id"])
        page.keyboard.type(text)
    assert order == ["pw-current", "pw-new", "pw-repeat"]
    assert tab(page)["id"] == "pw-submit"
    with page.expect_navigation(url=ends_at("/pierwsze-logowanie")):
        page.keyboard.press("Enter")
    assert "Hasło zostało zmienione" in page.inner_text("main")
    v.check(page, "pierwsze-logowanie-zmienione-haslo")
    page.goto(url("/pierwsze-logowanie"))
    v.check(page, "pierwsze-logowanie-regulamin")

    # Step 2: the regulations (link, checkbox ticked with Space, button).
    assert "skip-link" in tab(page)["cls"]
    page.keyboard.press("Enter")
    walk = tab_to(page, lambda e: e["id"] == "reg-accept")
    assert [e["tag"] for e in walk[:-1]] == ["a"], [describe_focus(e) for e in walk]
    page.keyboard.press("Space")
    assert page.is_checked("#reg-accept")
    assert tab(page)["id"] == "reg-submit"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.split("#")[0] == url("/konto"), page.url
    v.check(page, "konto")

    # Every tab the cooperative shows, reached from the navigation by keyboard as well.
    tabs = page.locator("header nav a.nav-link[href^='/konto/']")
    hrefs = [tabs.nth(i).get_attribute("href") for i in range(tabs.count())]
    assert len(hrefs) >= 3, hrefs                      # ledger, faults, occupants
    for href in hrefs:
        page.goto(url("/konto"))
        walk = tab_to(page, lambda e, h=href: e["href"] == h)
        assert "skip-link" in walk[0]["cls"]
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.split("#")[0] == url(href)
        v.check(page, href.strip("/").replace("konto/", ""))
        if href == "/konto/saldo/":   # the statement scrolls sideways on a phone: a tab stop
            tab_to(page, lambda e: "table-responsive" in e["cls"], limit=30)

    v.assert_accessible()
