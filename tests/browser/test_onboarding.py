"""An operator onboards a cooperative through the guided form in a real browser: the colour
picker redraws the header preview (desktop and phone width), a step checked on its own
answers in Polish, and the tenant the form creates serves its host in its colours."""

from __future__ import annotations

import re

import pytest

from iok_saas.extensions import db
from iok_saas.modules.mfa import totp
from iok_saas.timeutil import utcnow

from ..factories import OPERATOR, OPERATOR_TOTP_SECRET, operator

pytestmark = pytest.mark.browser


def preview(page) -> dict:
    return page.evaluate("""() => ({
        header: document.getElementById('preview-header').getAttribute('fill'),
        logo: document.getElementById('preview-logo').getAttribute('fill'),
        accent: document.getElementById('preview-accent').getAttribute('fill'),
        text: document.getElementById('preview-logo').textContent,
        name: document.getElementById('preview-name').textContent,
        wide: document.documentElement.scrollWidth})""")


def test_an_operator_onboards_a_cooperative_with_the_colour_picker(live_server, visitor,
                                                                   synced):
    with synced.app_context():
        operator()
        db.session.commit()
    admin = f"http://admin.localhost:{live_server.port}"
    scenario = visitor("operator-onboarding")
    page = scenario.new_page()
    page.goto(f"{admin}/operator/login")
    page.fill("#email", OPERATOR[0])
    page.fill("#password", OPERATOR[1])
    page.click("main form [type=submit]")
    page.wait_for_url(re.compile(r"/operator/drugi-krok/$"))
    page.fill("#code", totp.code_for_step(OPERATOR_TOTP_SECRET, totp.step_at(utcnow())))
    page.click("main form [type=submit]")
    page.wait_for_url(f"{admin}/operator/")

    page.goto(f"{admin}/operator/tenants/new")
    scenario.check(page, "new tenant form 1280", area="staff")
    assert preview(page)["header"] == "#1f4e79"
    page.fill("#primary_color", "#7a1f3d")
    page.fill("#accent_color", "#e0a800")
    page.fill("#logo_text", "LP")
    page.fill("#short_name", "SM Leśna Polana")
    shown = preview(page)
    assert shown["header"] == shown["logo"] == "#7a1f3d"
    assert shown["accent"] == "#e0a800"
    assert shown["text"] == "LP" and shown["name"] == "SM Leśna Polana"
    assert "spełnia WCAG AA" in page.inner_text("#preview-contrast")
    page.fill("#primary_color", "#f2f2f2")  # too light for white text: said at once
    assert preview(page)["header"] == "#f2f2f2"
    assert "za mało" in page.inner_text("#preview-contrast")

    # A phone-sized screen: the same form, no sideways scrolling, the preview still live.
    page.set_viewport_size({"width": 390, "height": 844})
    page.fill("#primary_color", "#2d5a27")
    shown = preview(page)
    assert shown["header"] == "#2d5a27" and shown["wide"] <= 390
    scenario.check(page, "new tenant form 390", area="staff")

    # Step 1 checked on its own, with a name the platform keeps: Polish, beside the field.
    page.fill("#slug", "admin")
    page.click("button[name=check][value=identity]")
    assert "Skrót „admin” jest zarezerwowany dla platformy" in page.inner_text("#slug-err")
    assert preview(page)["header"] == "#2d5a27"   # what was typed is kept
    scenario.check(page, "step 1 refused 390", area="staff")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.fill("#slug", "lesna-polana")
    page.fill("#legal_name", "Spółdzielnia Mieszkaniowa „Leśna Polana”")
    page.fill("#city", "Warszawa")
    page.fill("#email", "biuro@lesna-polana.example")
    page.fill("#regulations_version", "2026-11-01")
    page.fill("#regulations_text", "## Zasady\n\nDostęp mają właściciele lokali.")
    page.fill("#password_min_length", "12")
    page.check("input[name=channels][value=electronic]")
    page.click("#submit")
    page.wait_for_url(f"{admin}/operator/tenants/lesna-polana")
    assert "Dodano SM Leśna Polana" in page.inner_text("main")
    scenario.check(page, "tenant created", area="staff")

    site = scenario.new_page()
    site.goto(live_server.url("lesna-polana", "/branding.css"))
    assert "#2d5a27" in site.content()
    scenario.assert_accessible()
