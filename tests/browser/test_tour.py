"""Every page a signed-in person can reach by following links, in each cooperative: a
resident on a phone-sized screen, staff on a desktop — axe-core on each page reached, a
screenshot of each (links are followed to a depth of two from the start page)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from iok_saas.extensions import db
from iok_saas.modules.ledger.models import LedgerEntry
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import WARSAW, utcnow

from ..conftest import TENANT_SLUGS
from ..factories import (
    RESIDENT_PASSWORD,
    STAFF_PASSWORD,
    STAFF_TOTP_SECRET,
    active_resident,
    make_meter,
    staff,
    tenant,
)
from .support import type_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ctx")]

PHONE = {"width": 390, "height": 844}
# Never followed: signing out, switching the language, static files.
SKIPPED_PREFIXES = ("/wyloguj", "/staff/wyloguj", "/lang/", "/static/", "/bootstrap/",
                    "/branding")
MAX_PAGES = 12
HEAD = """async (path) => {
  const response = await fetch(path, {credentials: 'same-origin'});
  return [response.status, response.headers.get('content-type')];
}"""


def flat_with_history(slug: str, unit_id: int) -> None:
    """A water meter with accepted readings and a few ledger entries for the flat."""
    today = utcnow().astimezone(WARSAW).date()
    first = date(today.year, today.month, 1)
    make_meter(slug, unit_id, [(today - timedelta(days=days_ago), value) for days_ago, value
                               in ((120, "40.500"), (60, "44.250"), (20, "45.900"))],
               kind="hot_water", location="kuchnia")
    with tenant_scope(tenant(slug)):
        for n, (booking, kind, amount, title) in enumerate([
                (first, "charge", "430.15", "Opłata eksploatacyjna"),
                (first, "charge", "35.00", "Woda i ścieki"),
                (min(first + timedelta(days=4), today), "payment", "-400.00", "Wpłata")]):
            db.session.add(LedgerEntry(external_id=f"TR-L{n}", unit_id=unit_id,
                                       booking_date=booking, period=first, kind=kind,
                                       title=title, amount=Decimal(amount)))
        db.session.commit()


def crawl(v, page, base: str, start: str, area: str, inside: str) -> list[str]:
    """Visit ``start`` and the pages its links lead to (paths under ``inside``, HTML
    only, two levels deep, at most MAX_PAGES), checking each; the paths visited."""
    queue, seen, visited = [(start, 0)], {start}, []
    while queue and len(visited) < MAX_PAGES:
        path, depth = queue.pop(0)
        if page.url.startswith(base):                  # look before going: fetch from the page
            status, kind = page.evaluate(HEAD, path)
            if status != 200 or "text/html" not in (kind or ""):
                continue                               # downloads, images, codes
        page.goto(base + path)
        name = urlsplit(path).path.strip("/").replace("/", "-") or "start"
        v.check(page, name, area)
        visited.append(path)
        if depth == 2:
            continue
        links = page.eval_on_selector_all(
            "a[href]", "els => els.map(a => a.getAttribute('href'))")
        for href in links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith(inside):
                continue
            if parts.path.startswith(SKIPPED_PREFIXES) or parts.path in {
                    urlsplit(p).path for p in seen}:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            seen.add(target)
            queue.append((target, depth + 1))
    return visited


@pytest.mark.parametrize("slug", TENANT_SLUGS)
def test_every_resident_page_on_a_phone(live_server, visitor, slug):
    resident = active_resident(slug, "Jan", "Wiśniewski", flat="5")
    flat_with_history(slug, resident.unit_id)
    v = visitor(f"{slug}-mieszkaniec-telefon")
    page = v.new_page(viewport=PHONE)
    base = live_server.url(slug, "")
    page.goto(base + "/logowanie")
    page.fill("#login", resident.login)
    page.fill("#password", RESIDENT_PASSWORD)
    with page.expect_navigation(url=base + "/konto"):
        page.click("main form [type=submit]")

    visited = crawl(v, page, base, "/konto", "resident", "/")
    assert len(visited) >= 3, visited               # the start page and the policy's tabs
    v.assert_accessible()


@pytest.mark.parametrize("slug", ["zielone-wzgorza", "gdynia"])
def test_every_staff_page(live_server, visitor, slug):
    staff(slug, "k.nowak")
    active_resident(slug, "Jan", "Wiśniewski", flat="5")   # someone to list and open
    v = visitor(f"{slug}-pracownik")
    page = v.new_page()
    base = live_server.url(slug, "")
    page.goto(base + "/staff/logowanie")
    page.fill("#login", "k.nowak")
    page.fill("#password", STAFF_PASSWORD)
    page.click("main form [type=submit]")
    with page.expect_navigation(url=base + "/staff/"):
        type_second_factor(page, STAFF_TOTP_SECRET)

    visited = crawl(v, page, base, "/staff/", "staff", "/staff/")
    assert len(visited) >= 5, visited
    v.assert_accessible()
