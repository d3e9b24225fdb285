"""The README's pictures: the pages a buyer looks at first, on a desktop and on a phone.

Each picture is checked like any other page (axe-core, nothing wider than the window) and
written to test-artifacts/browser/gallery/; `make screenshots` also copies them into
docs/screenshots/ (IOK_GALLERY_DIR), the folder the README shows."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from iok_saas.modules.mfa import totp
from iok_saas.timeutil import utcnow

from ..factories import (
    OPERATOR,
    OPERATOR_TOTP_SECRET,
    RESIDENT_PASSWORD,
    STAFF_PASSWORD,
    STAFF_TOTP_SECRET,
    active_resident,
    operator,
    staff,
)
from .support import sign_in_resident, sign_in_staff
from .test_tour import flat_with_history

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ctx")]

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
SLUG = "zielone-wzgorza"
WIDER_THAN_WINDOW = "() => document.documentElement.scrollWidth > window.innerWidth"
# The header clips what runs past the window, so the page does not grow: its brand (the
# cooperative's name) must end inside the window, with the menu button on the same row.
HEADER_CUT = """() => {
  const brand = document.querySelector('.iok-header .navbar-brand').getBoundingClientRect();
  const menu = document.querySelector('.iok-header .navbar-toggler').getBoundingClientRect();
  return brand.right > window.innerWidth || (menu.height > 0 && menu.top >= brand.bottom);
}"""


def sign_in_operator(page, base: str) -> None:
    page.goto(base + "/operator/login")
    page.fill("#email", OPERATOR[0])
    page.fill("#password", OPERATOR[1])
    page.click("main form [type=submit]")
    page.wait_for_url(re.compile(r"/operator/drugi-krok/$"))
    page.fill("#code", totp.code_for_step(OPERATOR_TOTP_SECRET, totp.step_at(utcnow())))
    page.click("main form [type=submit]")
    page.wait_for_url(base + "/operator/")


def picture(v, page, name: str, area: str) -> Path:
    label = v.check(page, name, area)
    assert not page.evaluate(WIDER_THAN_WINDOW), f"{name} is wider than the window"
    assert not page.evaluate(HEADER_CUT), f"{name}: the header's brand runs past the window"
    return v.folder / f"{label}.png"


def test_gallery(live_server, visitor):
    resident = active_resident(SLUG, "Jan", "Wiśniewski", flat="5")
    flat_with_history(SLUG, resident.unit_id)
    staff(SLUG, "k.nowak")
    active_resident(SLUG, "Ewa", "Malinowska", flat="9")
    operator()
    v = visitor("gallery")
    tenant_url = lambda path: live_server.url(SLUG, path)  # noqa: E731
    admin = live_server.url("admin", "")
    pictures: dict[str, Path] = {}

    def both_sizes(page, name: str, area: str) -> None:
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            pictures[f"{name}-{size}"] = picture(v, page, f"{name}-{size}", area)

    page = v.new_page()
    sign_in_resident(page, tenant_url, resident.login, RESIDENT_PASSWORD)
    both_sizes(page, "resident-dashboard", "resident")
    page.goto(tenant_url("/konto/saldo/"))
    assert page.get_by_text("Opłata eksploatacyjna").count() >= 1
    both_sizes(page, "resident-ledger", "resident")

    page = v.new_page()
    sign_in_staff(page, tenant_url, "k.nowak", STAFF_PASSWORD, STAFF_TOTP_SECRET)
    assert page.get_by_text("Co czeka na biuro").count() >= 1
    both_sizes(page, "staff-work-queue", "staff")

    page = v.new_page()
    sign_in_operator(page, admin)
    assert page.get_by_text("Zielone Wzgórza").count() >= 1
    both_sizes(page, "operator-overview", "staff")
    v.assert_accessible()

    gallery = os.environ.get("IOK_GALLERY_DIR")
    if gallery:
        Path(gallery).mkdir(parents=True, exist_ok=True)
        for name, source in pictures.items():
            shutil.copyfile(source, Path(gallery) / f"{name}.png")
