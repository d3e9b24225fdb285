"""Notices the manager supplies as ready PDFs (one per unit, in a ZIP): the back-office
upload, the CLI and the API; each bad entry is a Polish error and nothing is written;
published, opened and e-mailed like rendered notices, with the supplied bytes."""

from __future__ import annotations

import html
import io
import zipfile
from datetime import date

import pytest
from fpdf import FPDF
from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.modules.housing.models import Unit
from iok_saas.modules.imports import services as imports
from iok_saas.modules.notices.models import ChargeNotice, NoticeDelivery
from iok_saas.tenancy import tenant_scope

from ..factories import tenant
from .helpers import consent, import_notices

ZW, KU = "zielone-wzgorza", "kuzniki"
URL = "/staff/zawiadomienia/pdf"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def a_pdf(words: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, words)
    return bytes(pdf.output())


def a_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


def external_id(slug: str, unit_id: int) -> str:
    with tenant_scope(tenant(slug)):
        return db.session.get(Unit, unit_id).external_id


def notices(slug: str) -> int:
    with tenant_scope(tenant(slug)):
        return db.session.scalar(select(func.count()).select_from(ChargeNotice))


def stored_files(app) -> list:
    folder = app.config["IOK_VAR_DIR"] / "notices"
    return sorted(folder.rglob("*.pdf")) if folder.exists() else []


def upload(client, archive: bytes | None, period: str = "2027-01", name: str = "okres.zip"):
    data = {"pdf-period": period}
    if archive is not None:
        data["pdf-archive"] = (io.BytesIO(archive), name)
    return client.post(URL, data=data, content_type="multipart/form-data")


def test_supplied_pdfs_are_published_opened_and_emailed_as_they_came(
        app, resident_client, office_client, mail):
    reader, res = resident_client(ZW, email="pdf@example.com")
    _, paper = resident_client(ZW, first="Piotr", last="Papierowy", flat="3")
    consent(ZW, res.account_id)
    mine = a_pdf("Zawiadomienie z systemu zarzadcy: lokal pierwszy")
    theirs = a_pdf("Zawiadomienie z systemu zarzadcy: lokal drugi")
    desk = office_client(ZW)
    page = text(desk.get("/staff/zawiadomienia/"))
    assert "Zawiadomienia PDF z systemu zarządcy" in page and 'id="upload-form"' in page

    response = upload(desk, a_zip({f"{external_id(ZW, res.unit_id)}.pdf": mine,
                                   f"{external_id(ZW, paper.unit_id)}.pdf": theirs}))
    assert response.status_code == 302, text(response)
    assert response.headers["Location"].endswith("/staff/zawiadomienia/okres/2027-01")
    period = text(desk.get("/staff/zawiadomienia/okres/2027-01"))
    assert "Zawiadomienia: 2" in period and "gotowe pliki PDF z systemu zarządcy: 2" in period
    assert len(stored_files(app)) == 2
    with tenant_scope(tenant(ZW)):
        (notice_id,) = db.session.scalars(select(ChargeNotice.id).where(
            ChargeNotice.unit_id == res.unit_id)).all()
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "charge_notices.pdfs_loaded")) is not None
    # Loading the same archive again changes nothing.
    again = upload(desk, a_zip({f"{external_id(ZW, res.unit_id)}.pdf": mine}))
    assert again.status_code == 302 and notices(ZW) == 2
    assert "bez zmian 1" in text(desk.get("/staff/zawiadomienia/"))
    # Not published yet: the resident does not see it.
    assert reader.get(f"/konto/zawiadomienia/{notice_id}").status_code == 404

    assert desk.post("/staff/zawiadomienia/publikuj", data={
        "period": "2027-01", "confirm": "y"}).status_code == 302
    (message,) = mail.wait_for(1)
    assert message["To"].endswith("<pdf@example.com>")
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == mine  # the supplied file, byte for byte

    listing = text(reader.get("/konto/zawiadomienia/"))
    assert "styczeń 2027" in listing and "w dokumencie" in listing
    download = reader.get(f"/konto/zawiadomienia/{notice_id}")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data == mine
    period = text(desk.get("/staff/zawiadomienia/okres/2027-01"))
    assert "Otwarte przez mieszkańców: 1" in period and "pdf@example.com" in period
    assert "Do wysłania na papierze (1)" in period
    with tenant_scope(tenant(ZW)):
        assert db.session.scalar(select(NoticeDelivery.opened_at)) is not None

    # Published: another file for the unit is refused, the same file is fine.
    response = upload(desk, a_zip({f"{external_id(ZW, res.unit_id)}.pdf": theirs}))
    assert response.status_code == 400
    assert "jest już opublikowane; nie można go podmienić" in text(response)
    assert reader.get(f"/konto/zawiadomienia/{notice_id}").data == mine


def test_an_altered_stored_file_is_not_served(app, resident_client, office_client):
    reader, res = resident_client(KU)
    desk = office_client(KU)
    archive = a_zip({f"{external_id(KU, res.unit_id)}.pdf": a_pdf("A")})
    assert upload(desk, archive).status_code == 302
    assert desk.post("/staff/zawiadomienia/publikuj", data={
        "period": "2027-01", "confirm": "y"}).status_code == 302
    (path,) = stored_files(app)
    original = path.read_bytes()
    path.write_bytes(a_pdf("Podmieniony"))
    with tenant_scope(tenant(KU)):
        notice_id = db.session.scalar(select(ChargeNotice.id))
    assert reader.get(f"/konto/zawiadomienia/{notice_id}").status_code == 404
    # Loading the same archive again repairs the stored copy.
    assert upload(desk, archive).status_code == 302
    assert path.read_bytes() == original


BIG = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 1)


@pytest.mark.parametrize("case, expected", [
    ("period", "Podaj okres w postaci RRRR-MM"),
    ("not_zip", "To nie jest archiwum ZIP"),
    ("empty_zip", "Archiwum nie zawiera żadnego pliku PDF"),
    ("not_pdf", "To nie jest plik PDF"),
    ("broken_pdf", "plik jest uszkodzony"),
    ("too_big", "Plik jest za duży: najwyżej 10 MB"),
    ("unknown_unit", "Nie ma lokalu o numerze NIE-MA w tej spółdzielni"),
    ("twice", "Drugi plik dla lokalu"),
    ("folder", "Nazwa pliku musi być numerem lokalu"),
    ("not_pdf_name", "Nazwa pliku musi być numerem lokalu"),
    ("data_notice", "ma już za ten okres zawiadomienie z zaimportowanych danych"),
    ("no_file", "Wybierz archiwum ZIP z plikami PDF"),
    ("other_tenant_unit", "Nie ma lokalu o numerze"),
])
def test_each_bad_entry_is_named_in_polish_and_nothing_is_written(
        app, resident_client, office_client, case, expected):
    _, res = resident_client(ZW)
    _, other = resident_client(KU)
    good = f"{external_id(ZW, res.unit_id)}.pdf"
    pdf = a_pdf("Dobre zawiadomienie")
    files = {"period": {good: pdf}, "not_zip": None, "empty_zip": {}, "not_pdf":
             {good: b"To jest tekst, nie PDF."}, "broken_pdf": {good: b"%PDF-1.4\nbzdura"},
             "too_big": {good: BIG}, "unknown_unit": {good: pdf, "NIE-MA.pdf": pdf},
             "twice": {good: pdf, good[:-4] + ".PDF": pdf}, "folder": {f"okres/{good}": pdf},
             "not_pdf_name": {good[:-4] + ".docx": pdf}, "data_notice": {good: pdf},
             "no_file": None,
             "other_tenant_unit": {f"{external_id(KU, other.unit_id)}.pdf": pdf}}[case]
    if case == "data_notice":
        import_notices(ZW, [res.unit_id])
    before = notices(ZW)
    archive = b"PK\x03\x04 to nie jest zip" if case == "not_zip" else (
        None if files is None else a_zip(files))
    response = upload(office_client(ZW), archive, period="2027-13" if case == "period"
                      else "2027-01")
    assert response.status_code == 400
    assert expected in text(response), text(response)
    if case not in ("no_file",):
        assert "Nic nie zapisano" in text(response)
    assert notices(ZW) == before and stored_files(app) == []


def test_only_administrators_load_pdfs(resident_client, office_client):
    _, res = resident_client(ZW)
    clerk = office_client(ZW, "referent", role="staff")
    assert "upload-form" not in text(clerk.get("/staff/zawiadomienia/"))
    response = upload(clerk, a_zip({f"{external_id(ZW, res.unit_id)}.pdf": a_pdf("x")}))
    assert response.status_code == 403 and notices(ZW) == 0


def test_cli_loads_pdfs_and_refuses_bad_archives(app, resident_client, tmp_path):
    _, res = resident_client(KU)
    good = tmp_path / "dobre.zip"
    good.write_bytes(a_zip({f"{external_id(KU, res.unit_id)}.pdf": a_pdf("CLI")}))
    bad = tmp_path / "zle.zip"
    bad.write_bytes(a_zip({"NIE-MA.pdf": a_pdf("x"), "notatka.txt": b"x"}))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notices", "load-pdfs", "--tenant", KU, "2027-01", str(bad)])
    assert result.exit_code != 0 and "nothing written" in result.output
    assert "NIE-MA.pdf: Nie ma lokalu o numerze NIE-MA" in result.output
    assert "notatka.txt: Nazwa pliku musi" in result.output
    result = runner.invoke(args=["notices", "load-pdfs", "--tenant", "brzeg", "2027-01",
                                 str(good)])
    assert result.exit_code != 0 and "does not show charge_notices" in result.output
    assert notices(KU) == 0
    result = runner.invoke(args=["notices", "load-pdfs", "--tenant", KU, "2027-01", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output and notices(KU) == 1


def test_api_loads_pdfs_all_or_nothing(resident_client, host_client):
    _, res = resident_client(KU)
    with tenant_scope(tenant(KU)):
        token = imports.create_token("FK", "staff:test")[1]
        db.session.commit()
    api = host_client(f"{KU}.localhost")
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/zip"}
    name = f"{external_id(KU, res.unit_id)}.pdf"
    assert api.post("/api/v1/notices/pdfs?period=2027-01",
                    data=a_zip({name: a_pdf("API")})).status_code == 401
    response = api.post("/api/v1/notices/pdfs?period=2027-01", headers=auth,
                        data=a_zip({name: a_pdf("API"), "NIE-MA.pdf": a_pdf("x"),
                                    "ZLY.pdf": b"nie pdf"}))
    assert response.status_code == 422
    problems = {p["file"]: p["message"] for p in response.get_json()["problems"]}
    assert "Nie ma lokalu" in problems["NIE-MA.pdf"] and notices(KU) == 0
    assert problems["ZLY.pdf"] == "To nie jest plik PDF."
    response = api.post("/api/v1/notices/pdfs?period=2027-1", headers=auth,
                        data=a_zip({name: a_pdf("API")}))
    assert response.status_code == 422 and notices(KU) == 0
    response = api.post("/api/v1/notices/pdfs?period=2027-01", headers=auth,
                        data=a_zip({name: a_pdf("API")}))
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"period": "2027-01", "created": 1, "replaced": 0,
                                   "unchanged": 0}
    with tenant_scope(tenant(KU)):
        notice = db.session.scalar(select(ChargeNotice))
        assert notice.period == date(2027, 1, 1) and notice.pdf_sha256


def test_an_archive_too_large_unpacked_is_refused_before_reading(
        app, resident_client, office_client, monkeypatch):
    from iok_saas.modules.notices import supplied

    _, res = resident_client(ZW)
    pdf = a_pdf("Dobre zawiadomienie")
    monkeypatch.setattr(supplied, "MAX_TOTAL_BYTES", len(pdf) + 10)
    archive = a_zip({f"{external_id(ZW, res.unit_id)}.pdf": pdf, "U-DRUGI.pdf": pdf})
    response = upload(office_client(ZW), archive)
    assert response.status_code == 400
    assert "Podziel je na kilka archiwów" in text(response)
    assert notices(ZW) == 0 and stored_files(app) == []
