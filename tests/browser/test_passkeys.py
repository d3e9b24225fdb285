"""In Chromium with the DevTools virtual authenticator (a platform authenticator that
verifies its user): a resident adds a passkey, signs out, confirms the next sign-in with it
after the password, and, where the policy allows, signs in with the passkey alone."""

from __future__ import annotations

import pytest

from iok_saas.extensions import db
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.tenants.services import get_tenant, update_policy

from ..factories import RESIDENT_PASSWORD, active_resident

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ctx")]

SLUG = "zielone-wzgorza"


def _virtual_authenticator(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})


def _sign_out(page) -> None:
    page.click("header form[action$='/wyloguj'] button")
    page.locator("text=Wylogowano.").wait_for()


def test_a_resident_adds_a_passkey_and_signs_in_with_it(live_server, visitor):
    update_policy(SLUG, get_tenant(SLUG).policy_source
                  + "\nsecond_factor:\n  passkeys: passwordless\n", Actor.cli("test"))
    db.session.commit()
    resident = active_resident(SLUG)
    base = live_server.url(SLUG, "")
    v = visitor("klucze-dostepu")
    page = v.new_page()
    _virtual_authenticator(page)

    page.goto(base + "/logowanie")
    page.fill("#login", resident.login)
    page.fill("#password", RESIDENT_PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(base + "/konto")
    page.goto(base + "/konto/bezpieczenstwo/")
    page.click("main >> text=Klucze dostępu")
    assert page.locator("#no-passkeys").is_visible()
    v.check(page, "klucze-dostepu")
    page.fill("#name", "Laptop w domu")
    page.click("form[data-passkey=create] [type=submit]")
    page.locator("#passkeys").wait_for()
    assert "Laptop w domu" in page.inner_text("#passkeys")
    v.check(page, "klucz-dodany")

    # After the password, the passkey confirms the sign-in instead of a code.
    _sign_out(page)
    page.goto(base + "/logowanie")
    page.fill("#login", resident.login)
    page.fill("#password", RESIDENT_PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(base + "/logowanie/drugi-krok/")
    v.check(page, "drugi-krok-klucz")
    assert page.locator("#passkey-unsupported").is_hidden()   # shown only without WebAuthn
    page.click("#use-passkey button")
    page.wait_for_url(base + "/konto")

    # Where the policy allows it, the passkey alone signs in.
    _sign_out(page)
    page.goto(base + "/logowanie")
    v.check(page, "logowanie-kluczem")
    page.click("text=Zaloguj się kluczem dostępu")
    page.wait_for_url(base + "/konto")
    page.goto(base + "/konto/bezpieczenstwo/klucze-dostepu/")
    assert "jeszcze nie" not in page.inner_text("#passkeys")  # its last use is shown
    v.assert_accessible()
