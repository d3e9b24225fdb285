"""In Chromium: the operator reads the platform overview, sorts it, opens a tenant's
overview and a policy version's diff, at desktop and phone widths, with axe-core on every
page."""

from __future__ import annotations

import pytest

from iok_saas.modules.mfa import services as mfa

from ..factories import OPERATOR, fresh_code, operator
from ..operator.test_overview import V2, seed

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ctx")]

PHONE = {"width": 390, "height": 844}


def test_the_operator_reads_the_overviews_at_both_widths(live_server, visitor):
    seed("kuzniki", active=2, blocked=1, sign_ins=3, sent=4, failed=1, applied=1, rejected=1)
    seed("brzeg", active=5, sign_ins=8, sent=2)
    ops = operator()
    admin = live_server.url("admin", "")
    v = visitor("operator-przeglad")
    page = v.new_page()
    page.goto(admin + "/operator/login")
    page.fill("#email", OPERATOR[0])
    page.fill("#password", OPERATOR[1])
    page.click("main form [type=submit]")
    page.wait_for_url(admin + "/operator/drugi-krok/")
    page.fill("#code", fresh_code(mfa.factor_of(ops)))
    page.click("main form [type=submit]")
    page.wait_for_url(admin + "/operator/")
    v.check(page, "przeglad-platformy", area="staff")

    page.click("#platform-overview thead >> text=Logowania")
    page.wait_for_url("**sort=sign_ins**")
    sorted_header = page.locator("#platform-overview th[aria-sort]")
    assert sorted_header.get_attribute("aria-sort") == "descending"
    rows = page.locator("#platform-overview tbody tr")
    assert rows.nth(0).get_attribute("id") == "tenant-brzeg"
    assert rows.nth(1).get_attribute("id") == "tenant-kuzniki"
    assert page.inner_text("#tenant-kuzniki [data-col=blocked]") == "1"
    v.check(page, "przeglad-posortowany", area="staff")

    page.click("#tenant-kuzniki >> text=Kuźniki")
    assert page.inner_text("#overview-accounts tr[data-state=active] td.text-end") == "2"
    assert page.inner_text("#overview-accounts tr[data-state=blocked] td.text-end") == "1"
    assert "Odrzucone importy" in page.inner_text("#overview-queues")
    link = page.get_attribute("#canonical-link", "href")
    assert link.endswith(f":{live_server.port}/")
    v.check(page, "przeglad-spoldzielni", area="staff")

    page.fill("#policy_source", V2)
    page.click("#policy-h ~ form [type=submit]")
    page.click("text=Historia wersji polityki")
    v.check(page, "historia-polityki", area="staff")
    page.click("#version-1 >> text=wersja 1")
    assert "+tabs: [ledger, water_meters]" in page.inner_text("#diff-current")
    v.check(page, "wersja-polityki", area="staff")

    page.set_viewport_size(PHONE)
    for path, name in (("/operator/", "telefon-przeglad-platformy"),
                       ("/operator/tenants/kuzniki", "telefon-przeglad-spoldzielni"),
                       (page.url.removeprefix(admin), "telefon-wersja-polityki")):
        page.goto(admin + path)
        v.check(page, name, area="staff")

    # Rolling back from the phone: confirm, then the history lists the restored version.
    page.check("#confirm")
    page.click("#restore-h ~ form [type=submit]")
    page.wait_for_url("**/policy/versions")
    assert "Przywrócono wersję 1" in page.inner_text("main")
    assert "obowiązuje" in page.inner_text("#version-3")
    v.check(page, "telefon-po-przywroceniu", area="staff")
    v.assert_accessible()
