"""Paperless charge notices in a real Chromium at phone (390 px) and desktop (1280 px)
widths: the resident consents and sees a published notice, staff see the period, the
consents and the paper list — axe-core on every page."""

from __future__ import annotations

import pytest

from ..factories import RESIDENT_PASSWORD, STAFF_PASSWORD, STAFF_TOTP_SECRET, active_resident, staff
from ..notices.helpers import import_notices, publish
from .support import sign_in_resident, sign_in_staff

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ctx")]

SLUG = "zielone-wzgorza"


@pytest.mark.parametrize("width", [390, 1280])
def test_resident_and_staff_notice_pages(live_server, visitor, width):
    owner = active_resident(SLUG, "Ewa", "Sikora", flat="2", email="ewa@example.com")
    other = active_resident(SLUG, "Jan", "Papierowy", flat="5")
    staff(SLUG, "k.nowak", None, "admin")
    v = visitor(f"notices-{width}")
    url = lambda path: live_server.url(SLUG, path)  # noqa: E731
    viewport = {"width": width, "height": 900}

    page = v.new_page(viewport)
    sign_in_resident(page, url, owner.login, RESIDENT_PASSWORD)
    page.goto(url("/konto/zawiadomienia/"))
    v.check(page, "zawiadomienia-papier")
    page.click("main form [type=submit]")                  # without the tick: an error
    assert "Zaznacz pole zgody" in page.inner_text("main")
    v.check(page, "zawiadomienia-blad")
    page.check("#agree")
    page.click("main form [type=submit]")
    assert "Zgoda zapisana" in page.inner_text("main")
    import_notices(SLUG, [owner.unit_id, other.unit_id])
    publish(SLUG)
    page.goto(url("/konto/zawiadomienia/"))
    assert "Pobierz PDF" in page.inner_text("main")
    v.check(page, "zawiadomienia-zgoda")

    office = v.new_page(viewport)
    sign_in_staff(office, url, "k.nowak", STAFF_PASSWORD, STAFF_TOTP_SECRET)
    for path, name, text in (("/staff/zawiadomienia/", "okresy", "Okresy zawiadomień"),
                             ("/staff/zawiadomienia/okres/2027-01", "okres",
                              "Do wysłania na papierze (1)"),
                             ("/staff/zawiadomienia/zgody", "zgody", "Ewa Sikora")):
        office.goto(url(path))
        assert text in office.inner_text("main"), path
        v.check(office, name, "staff")
    v.assert_accessible()
