"""In Chromium: a resident turns on the second factor by scanning (here: reading) the key,
keeps the recovery codes, signs in again with password and code, and ends another open
session from the security page; staff without a factor set one up at sign-in."""

from __future__ import annotations

import re

import pytest

from iok_saas.extensions import db
from iok_saas.modules.mfa import totp
from iok_saas.modules.staff.models import StaffMember
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import utcnow

from ..factories import RESIDENT_PASSWORD, STAFF_PASSWORD, active_resident, staff, tenant

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ctx")]

SLUG = "zielone-wzgorza"


def _code(secret: str, offset: int = 0) -> str:
    return totp.code_for_step(secret, totp.step_at(utcnow()) + offset)


def _password(page, base: str, login: str, password: str = RESIDENT_PASSWORD) -> None:
    page.goto(base + "/logowanie")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("main form [type=submit]")


def test_a_resident_turns_on_the_second_factor_and_ends_another_session(live_server, visitor):
    resident = active_resident(SLUG)
    base = live_server.url(SLUG, "")
    v = visitor("drugi-skladnik-mieszkaniec")
    laptop = v.new_page()
    _password(laptop, base, resident.login)
    laptop.wait_for_url(base + "/konto")
    laptop.click("text=Sesje, historia logowania i drugi składnik")
    v.check(laptop, "bezpieczenstwo")
    laptop.click("main >> text=Drugi składnik logowania")
    laptop.click("text=Włącz drugi składnik")
    v.check(laptop, "wlacz-drugi-skladnik")
    assert laptop.locator("#totp-qr svg").count() == 1
    secret = laptop.get_attribute("#totp-secret", "data-secret")
    laptop.fill("#code", _code(secret))
    laptop.click("main form [type=submit]")
    codes = laptop.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", c)
                                    for c in codes)
    v.check(laptop, "kody-zapasowe")
    laptop.click("#continue")
    assert "Włączony" in laptop.inner_text("#factor-state")

    phone = v.new_page()
    _password(phone, base, resident.login)
    phone.wait_for_url(base + "/logowanie/drugi-krok/")
    v.check(phone, "drugi-krok")
    phone.fill("#code", _code(secret, 1))  # the next code: the first was used at set-up
    phone.click("main form [type=submit]")
    phone.wait_for_url(base + "/konto")

    laptop.goto(base + "/konto/bezpieczenstwo/")
    rows = laptop.locator("#sessions tbody tr")
    assert rows.count() == 2
    other = rows.filter(has_not_text="ta sesja")
    other.locator("button").click()
    laptop.wait_for_url(base + "/konto/bezpieczenstwo/")
    assert laptop.locator("#sessions tbody tr").count() == 1
    history = laptop.inner_text("#sign-in-history")
    assert history.count("zalogowano") == 2
    phone.goto(base + "/konto")
    assert "/logowanie" in phone.url  # its session is over
    v.assert_accessible()


def test_staff_without_a_factor_set_it_up_at_sign_in(live_server, visitor):
    member_id = staff(SLUG, "nowa")
    with tenant_scope(tenant(SLUG)):
        from iok_saas.modules.mfa import services as mfa

        db.session.delete(mfa.factor_of(db.session.get(StaffMember, member_id)))
        db.session.commit()
    base = live_server.url(SLUG, "")
    v = visitor("drugi-skladnik-pracownik")
    page = v.new_page()
    page.goto(base + "/staff/logowanie")
    page.fill("#login", "nowa")
    page.fill("#password", STAFF_PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(base + "/logowanie/drugi-krok/konfiguracja")
    v.check(page, "konfiguracja", "staff")
    secret = page.get_attribute("#totp-secret", "data-secret")
    page.fill("#code", _code(secret))
    page.click("main form [type=submit]")
    assert page.locator("#recovery-codes li").count() == 10
    page.click("#continue")
    page.wait_for_url(base + "/staff/")
    v.assert_accessible()
