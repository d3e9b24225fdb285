"""The manager's PDF-per-unit upload (notices) and a paper ballot's scan link (voting) in a
real Chromium at 390 px and 1280 px: the upload form, its per-file errors, the loaded
period; the vote's per-unit list and history linking the scan, which opens as a PDF.
axe-core on every page."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.documents.services import PdfFile
from iok_saas.modules.housing.models import Unit
from iok_saas.modules.voting import services as voting
from iok_saas.tenancy import tenant_scope

from ..documents.pdfs import pdf_bytes
from ..factories import STAFF_PASSWORD, STAFF_TOTP_SECRET, active_resident, staff, tenant
from ..voting.conftest import build_estate, open_vote
from .support import sign_in_staff

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ctx")]


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


def _archive(page, data: bytes) -> None:
    page.set_input_files("#pdf-archive", files=[{
        "name": "okres.zip", "mimeType": "application/zip", "buffer": data}])


@pytest.mark.parametrize("width", [390, 1280])
def test_pdf_upload_and_ballot_scan_link(live_server, visitor, width):
    slug = "zielone-wzgorza"
    owner = active_resident(slug, "Ewa", "Sikora", flat="2", email="ewa@example.com")
    with tenant_scope(tenant(slug)):
        key = db.session.scalar(select(Unit.external_id).where(Unit.id == owner.unit_id))
    staff(slug, "k.nowak", None, "admin")
    v = visitor(f"supplied-notices-{width}")
    viewport = {"width": width, "height": 900}
    url = lambda path: live_server.url(slug, path)  # noqa: E731

    office = v.new_page(viewport)
    sign_in_staff(office, url, "k.nowak", STAFF_PASSWORD, STAFF_TOTP_SECRET)
    office.goto(url("/staff/zawiadomienia/"))
    assert "Zawiadomienia PDF z systemu zarządcy" in office.inner_text("main")
    office.fill("#pdf-period", "2027-01")
    _archive(office, _zip({f"{key}.pdf": b"to nie jest PDF", "NIE-MA.pdf": pdf_bytes("x")}))
    office.click("#upload-form [type=submit]")
    problems = office.inner_text("#upload-problems")
    assert "Nic nie zapisano" in problems and "To nie jest plik PDF" in problems
    assert "Nie ma lokalu o numerze NIE-MA" in problems
    v.check(office, "pdf-bledy", "staff")
    office.fill("#pdf-period", "2027-01")
    _archive(office, _zip({f"{key}.pdf": pdf_bytes("Zawiadomienie")}))
    office.click("#upload-form [type=submit]")
    assert office.url.endswith("/staff/zawiadomienia/okres/2027-01")
    assert "gotowe pliki PDF z systemu zarządcy: 1" in office.inner_text("main")
    v.check(office, "pdf-wczytane", "staff")

    # Brzeg: a paper ballot with its scan, linked from the list and the history.
    estate = build_estate("brzeg")
    vote_id = open_vote(estate)
    scan = pdf_bytes("Karta do głosowania")
    with tenant_scope(tenant("brzeg")):
        vote = voting.get(vote_id)
        voting.enter_paper(vote_id, vote.electors[0].id, "for", PdfFile("karta.pdf", scan),
                           "staff:test")
        db.session.commit()
    staff("brzeg", "m.kowal", None, "admin")
    burl = lambda path: live_server.url("brzeg", path)  # noqa: E731
    desk = v.new_page(viewport)
    sign_in_staff(desk, burl, "m.kowal", STAFF_PASSWORD, STAFF_TOTP_SECRET)
    desk.goto(burl(f"/staff/glosowania/{vote_id}"))
    links = desk.locator("a", has_text="skan")
    assert links.count() == 2  # the per-unit list and the event history
    href = links.first.get_attribute("href")
    answer = desk.evaluate("""async (href) => {
        const r = await fetch(href);
        const bytes = new Uint8Array(await r.arrayBuffer());
        return {status: r.status, type: r.headers.get("content-type"),
                disposition: r.headers.get("content-disposition"),
                bytes: Array.from(bytes)};
    }""", href)
    assert answer["status"] == 200 and answer["type"] == "application/pdf"
    assert answer["disposition"].startswith("inline")
    assert bytes(answer["bytes"]) == scan
    scroll = desk.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width, f"the vote's page is {scroll}px wide on a {width}px screen"
    desk.locator("#history").scroll_into_view_if_needed()
    v.check(desk, "glosowanie-skan", "staff")
    v.assert_accessible()
