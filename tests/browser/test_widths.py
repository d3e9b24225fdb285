"""Every page fits every screen: a resident, a staff member and an operator follow every
link from their start page; each page is then seen at 390, 768, 1280 and 1440 px wide. A
page wider than its window (``scrollWidth > innerWidth``) fails, naming the element that
sticks out; so does any axe-core violation, whatever its impact."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from iok_saas.extensions import db
from iok_saas.modules.enrolment import services as enrolment
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import WARSAW, utcnow

from ..factories import (
    OPERATOR,
    OPERATOR_TOTP_SECRET,
    RESIDENT_PASSWORD,
    STAFF_PASSWORD,
    STAFF_TOTP_SECRET,
    active_resident,
    make_meter,
    operator,
    staff,
    tenant,
)
from .support import EVERY_IMPACT, slug_name, type_second_factor
from .test_tour import flat_with_history

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ctx")]

WIDTHS = (390, 768, 1280, 1440)
HEIGHT = 900
TENANTS = ("zielone-wzgorza", "gdynia")
# Never followed: signing out, switching the language, static files, downloads by name.
SKIPPED_PREFIXES = ("/wyloguj", "/staff/wyloguj", "/operator/logout", "/lang/", "/static/",
                    "/bootstrap/", "/branding")
MAX_PAGES = 40
HEAD = """async (path) => {
  const response = await fetch(path, {credentials: 'same-origin'});
  return [response.status, response.headers.get('content-type')];
}"""


def collect(page, base: str, start: str, inside: str) -> list[str]:
    """The HTML pages reachable from ``start`` by following links (paths under ``inside``,
    three levels deep, one address per path, at most MAX_PAGES)."""
    queue, seen, found = [(start, 0)], {start}, []
    while queue and len(found) < MAX_PAGES:
        path, depth = queue.pop(0)
        status, kind = page.evaluate(HEAD, path)
        if status != 200 or "text/html" not in (kind or ""):
            continue                                   # downloads, images, redirects away
        page.goto(base + path)
        if urlsplit(page.url).path != urlsplit(path).path:
            continue                                   # a redirect: the target is listed
        found.append(path)
        if depth == 3:
            continue
        for href in page.eval_on_selector_all(
                "a[href]", "els => els.map(a => a.getAttribute('href'))"):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith(inside):
                continue
            if parts.path.startswith(SKIPPED_PREFIXES):
                continue
            if parts.path in {urlsplit(p).path for p in seen}:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            seen.add(target)
            queue.append((target, depth + 1))
    return found


# The distinct rows (rounded tops) the header's visible menu links sit on.
MENU_ROWS = """() => [...new Set([...document.querySelectorAll('.iok-header .nav-link')]
    .filter(a => a.offsetParent !== null)
    .map(a => Math.round(a.getBoundingClientRect().top)))].length"""


def every_width(v, page, base: str, paths: list[str], area: str) -> dict[int, set[int]]:
    """Each page at each width: screenshot, width check, axe-core; per width, the numbers
    of rows the header menu took."""
    rows = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        rows[width] = set()
        for path in paths:
            page.goto(base + path)
            v.check(page, f"{width}-{slug_name(path) or 'start'}", area)
            rows[width].add(page.evaluate(MENU_ROWS))
    return rows


@pytest.mark.parametrize("slug", TENANTS)
def test_every_resident_page_fits_every_width(live_server, visitor, slug):
    resident = active_resident(slug, "Jan", "Wiśniewski", flat="5")
    flat_with_history(slug, resident.unit_id)
    v = visitor(f"szerokosci-{slug}-mieszkaniec")
    page = v.new_page()
    base = live_server.url(slug, "")
    page.goto(base + "/logowanie")
    page.fill("#login", resident.login)
    page.fill("#password", RESIDENT_PASSWORD)
    with page.expect_navigation(url=base + "/konto"):
        page.click("main form [type=submit]")

    paths = collect(page, base, "/konto", "/")
    assert len(paths) >= 5, paths                    # the start page and the policy's tabs
    every_width(v, page, base, paths, "resident")
    assert v.pages_checked("resident") == len(paths) * len(WIDTHS)
    v.assert_accessible(EVERY_IMPACT)


def an_application(slug: str) -> None:
    """One application waiting in the staff queue, with a long address."""
    with tenant_scope(tenant(slug)):
        channel = "electronic" if enrolment.electronic_form_open() else \
            enrolment.office_channels()[0]
        enrolment.submit(enrolment.ApplicantData(
            first_name="Bożena", last_name="Długosz-Wierzbicka",
            applicant_type=enrolment.eligible_types()[0],
            street="ul. Generała Władysława Andersa", building_number="112A",
            flat_number="17", city="Miasto", email="bozena.dlugosz@example.com"),
            channel, "test", regulations_accepted=True)
        db.session.commit()


@pytest.mark.parametrize("slug", TENANTS)
def test_every_staff_page_fits_every_width(live_server, visitor, slug):
    staff(slug, "k.nowak")
    active_resident(slug, "Jan", "Wiśniewski", flat="5")   # someone to list and open
    an_application(slug)
    v = visitor(f"szerokosci-{slug}-pracownik")
    page = v.new_page()
    base = live_server.url(slug, "")
    page.goto(base + "/staff/logowanie")
    page.fill("#login", "k.nowak")
    page.fill("#password", STAFF_PASSWORD)
    page.click("main form [type=submit]")
    with page.expect_navigation(url=base + "/staff/"):
        type_second_factor(page, STAFF_TOTP_SECRET)

    paths = collect(page, base, "/staff/", "/staff/")
    assert "/staff/wnioski/" in paths, paths
    assert len(paths) >= 8, paths
    rows = every_width(v, page, base, paths, "staff")
    v.assert_accessible(EVERY_IMPACT)
    # The account links beside the brand, the desks on one row of their own below (pages
    # outside the back office, such as the password change, have no desks: one row).
    assert 2 in rows[1280] and rows[1280] <= {1, 2} and rows[1440] <= {1, 2}, rows
    assert rows[390] == rows[768] == {0}, rows


def test_every_operator_page_fits_every_width(live_server, visitor):
    from iok_saas.modules.mfa import totp

    operator()
    v = visitor("szerokosci-operator")
    page = v.new_page()
    base = live_server.url("admin", "")
    page.goto(base + "/operator/login")
    page.fill("#email", OPERATOR[0])
    page.fill("#password", OPERATOR[1])
    page.click("main form [type=submit]")
    page.wait_for_url(base + "/operator/drugi-krok/")
    page.fill("#code", totp.code_for_step(OPERATOR_TOTP_SECRET, totp.step_at(utcnow())))
    with page.expect_navigation(url=base + "/operator/"):
        page.click("main form [type=submit]")

    paths = collect(page, base, "/operator/", "/")
    assert any(p.startswith("/operator/tenants/") for p in paths), paths
    rows = every_width(v, page, base, paths, "operator")
    v.assert_accessible(EVERY_IMPACT)
    # From a laptop up the whole console menu is one line; narrower, behind the toggler.
    assert rows[1280] == rows[1440] == {1}, rows
    assert rows[390] == rows[768] == {0}, rows


# Each visible amount cell of the ledger: its text, and whether it lies inside the window.
AMOUNTS = """() => [...document.querySelectorAll('table.iok-cards td.text-end')]
  .filter(td => td.offsetParent !== null && td.innerText.trim())
  .map(td => { const r = td.getBoundingClientRect();
               return [td.innerText.trim(), r.left >= 0 && r.right <= innerWidth]; })"""
# The period labels under a meter chart's bars, as drawn: [left, right] on screen.
LABELS = """(id) => { const svg = document.getElementById(id);
  const base = Math.max(...[...svg.querySelectorAll('line')].map(l => +l.getAttribute('y2')));
  return [...svg.querySelectorAll('text')].filter(t => +t.getAttribute('y') > base + 10)
    .map(t => { const r = t.getBoundingClientRect(); return [r.left, r.right]; }); }"""


def test_a_phone_shows_the_ledger_amounts_and_a_readable_meter_chart(live_server, visitor):
    slug = "zielone-wzgorza"
    resident = active_resident(slug, "Jan", "Wiśniewski", flat="5")
    flat_with_history(slug, resident.unit_id)
    today = utcnow().astimezone(WARSAW).date()
    meter = make_meter(slug, resident.unit_id, [
        (today - timedelta(days=30 * (24 - i)), f"{100 + 2.5 * i:.3f}") for i in range(24)])
    v = visitor("szerokosci-telefon-saldo-wodomierze")
    page = v.new_page(viewport={"width": 390, "height": 844})
    base = live_server.url(slug, "")
    page.goto(base + "/logowanie")
    page.fill("#login", resident.login)
    page.fill("#password", RESIDENT_PASSWORD)
    with page.expect_navigation(url=base + "/konto"):
        page.click("main form [type=submit]")

    page.goto(base + "/konto/saldo/")
    v.check(page, "saldo")
    amounts = page.evaluate(AMOUNTS)
    shown = {text.replace("\xa0", " ") for text, inside in amounts if inside}
    assert {"430,15 zł", "35,00 zł", "400,00 zł", "65,15 zł"} <= shown, amounts
    assert all(inside for _, inside in amounts), amounts
    caption = page.eval_on_selector("table.iok-cards caption",
                                    "c => c.getBoundingClientRect().width")
    assert caption > 300, caption                   # the explanation spans the screen

    page.goto(base + "/konto/wodomierze/")
    v.check(page, "wodomierze")
    labels = page.evaluate(LABELS, f"meter-chart-{meter}")
    assert len(labels) >= 3, labels
    assert all(a[1] + 2 <= b[0] for a, b in zip(labels, labels[1:], strict=False)), labels
    chart = page.eval_on_selector(f"#meter-chart-{meter}", "svg => { const r = "
                                  "svg.getBoundingClientRect(); return [r.left, r.right]; }")
    assert chart[0] <= labels[0][0] and labels[-1][1] <= chart[1], (chart, labels)
    # The latest six readings in view, the other eighteen behind "Pokaż wszystkie".
    assert page.locator(f"#history-{meter} tbody tr").count() == 6
    older = page.locator(f"#history-{meter}-older")
    assert not older.is_visible()
    page.click(f"#older-{meter} summary")
    assert older.is_visible() and older.locator("tbody tr").count() == 18
    v.check(page, "wodomierze-wszystkie")
    v.assert_accessible(EVERY_IMPACT)
