"""The document library: staff publish checked PDFs with versions; residents read what
their titles entitle them to, the public reads public documents; search; "new" marks."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.modules.documents.models import Document, DocumentVersion
from iok_saas.modules.housing.models import Title
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import utcnow

from ..factories import give_title, tenant
from .conftest import BRZEG, ZW, newest, text, upload
from .pdfs import FAKE_PDF, PNG_RENAMED, pdf_bytes


def _counts(slug):
    with tenant_scope(tenant(slug)):
        return (db.session.scalar(select(func.count(Document.id))),
                db.session.scalar(select(func.count(DocumentVersion.id))))


def _stored_files(app, slug) -> list[Path]:
    folder = Path(app.config["IOK_VAR_DIR"]) / "documents" / str(tenant(slug).id)
    return sorted(folder.glob("*.pdf")) if folder.exists() else []


def test_staff_publish_and_a_resident_reads_the_pdf(app, office, resident_client):
    upload(office, title="Regulamin rozliczania kosztów ciepła", number="12/2026")
    document_id = newest(ZW)
    client, _ = resident_client(ZW)
    page = text(client.get("/konto/dokumenty/"))
    assert "Regulamin rozliczania kosztów ciepła" in page and "nr 12/2026" in page
    shown = text(client.get(f"/konto/dokumenty/{document_id}"))
    assert "aktualna" in shown
    with tenant_scope(tenant(ZW)):
        version_id = db.session.get(Document, document_id).current.id
    response = client.get(f"/konto/dokumenty/{document_id}/wersja/{version_id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    reader = PdfReader(io.BytesIO(response.data))
    assert "Regulamin rozliczania" in reader.pages[0].extract_text()
    # Stored under the var dir, per tenant, by content hash.
    assert [p.name for p in _stored_files(app, ZW)] == [
        f"{db_sha(ZW, version_id)}.pdf"]


def db_sha(slug, version_id):
    with tenant_scope(tenant(slug)):
        return db.session.get(DocumentVersion, version_id).sha256


@pytest.mark.parametrize("data, filename, message", [
    (FAKE_PDF, "uchwala.pdf", "Nie udało się odczytać pliku PDF"),
    (PNG_RENAMED, "uchwala.pdf", "To nie jest plik PDF."),
    (b"", "pusty.pdf", "Wybierz plik PDF."),
    (b"%PDF-1.4\n" + b"x" * (10 * 1024 * 1024), "duzy.pdf", "Plik jest za duży"),
])
def test_bad_files_are_refused_and_nothing_is_written(app, office, data, filename, message):
    response = upload(office, data=data, filename=filename, expect=422)
    assert message in text(response)
    assert _counts(ZW) == (0, 0)
    assert _stored_files(app, ZW) == []


def test_bad_details_are_refused_with_a_polish_error(app, office):
    assert "Podaj tytuł." in text(upload(office, title="", expect=422))
    page = text(upload(office, audience="owners", expect=422))
    assert "Wybierz wspólnotę lub budynek" in page
    page = text(upload(office, category="nie-ma-takiej", expect=422))
    assert "Not a valid choice" in page or "Niepoprawny wybór" in page or "prawidłow" in page
    assert _counts(ZW) == (0, 0)
    assert _stored_files(app, ZW) == []


def test_a_new_version_supersedes_and_the_old_stays_readable(office, resident_client):
    upload(office, title="Regulamin garaży", data=pdf_bytes("Wersja pierwsza"))
    document_id = newest(ZW)
    response = office.post(f"/staff/dokumenty/{document_id}/wersje",
                           data={"file": (io.BytesIO(pdf_bytes("Wersja druga")), "v2.pdf"),
                                 "note": "Nowe stawki"}, content_type="multipart/form-data")
    assert response.status_code == 302, text(response)
    bad = office.post(f"/staff/dokumenty/{document_id}/wersje",
                      data={"file": (io.BytesIO(FAKE_PDF), "v3.pdf")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "Nie udało się odczytać" in text(bad)
    with tenant_scope(tenant(ZW)):
        document = db.session.get(Document, document_id)
        versions = [(v.number, v.id) for v in document.versions]
    assert [n for n, _ in versions] == [2, 1]
    client, _ = resident_client(ZW)
    page = text(client.get(f"/konto/dokumenty/{document_id}"))
    assert "zastąpiona" in page and "Nowe stawki" in page
    for number, version_id in versions:
        pdf = client.get(f"/konto/dokumenty/{document_id}/wersja/{version_id}")
        expected = "Wersja druga" if number == 2 else "Wersja pierwsza"
        assert expected in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()


def test_audiences_owners_members_and_public(office, resident_client, host_client):
    owner, owner_resident = resident_client(ZW, first="Olga", last="Właścicielka")
    other, _ = resident_client(ZW, first="Igor", last="Inny", flat="3")
    member, member_resident = resident_client(ZW, first="Maria", last="Członkini", flat="4")
    with tenant_scope(tenant(ZW)):
        title = db.session.scalars(select(Title).where(
            Title.person_id == member_resident.person_id)).one()
        title.kind = "member"
        db.session.commit()

    upload(office, title="Uchwała o remoncie dachu", audience="owners",
           association_id=owner_resident.association_id)
    owners_doc = newest(ZW)
    upload(office, title="Uchwała walnego zgromadzenia", audience="members",
           category="general_meeting")
    members_doc = newest(ZW)
    upload(office, title="Statut spółdzielni", audience="public", category="statute")
    public_doc = newest(ZW)

    def sees(client, document_id):
        return client.get(f"/konto/dokumenty/{document_id}").status_code == 200

    assert sees(owner, owners_doc) and not sees(other, owners_doc)
    assert not sees(member, owners_doc)
    assert sees(member, members_doc) and not sees(owner, members_doc)
    assert all(sees(c, public_doc) for c in (owner, other, member))
    assert "Uchwała o remoncie dachu" not in text(other.get("/konto/dokumenty/"))

    anonymous = host_client(f"{ZW}.localhost")
    listing = text(anonymous.get("/dokumenty/"))
    assert "Statut spółdzielni" in listing and "Uchwała" not in listing
    assert anonymous.get(f"/dokumenty/{public_doc}").status_code == 200
    for hidden in (owners_doc, members_doc):
        assert anonymous.get(f"/dokumenty/{hidden}").status_code == 404
    with tenant_scope(tenant(ZW)):
        hidden_version = db.session.get(Document, members_doc).current.id
    assert anonymous.get(f"/dokumenty/{members_doc}/wersja/{hidden_version}").status_code == 404
    # Another tenant's public pages do not know this tenant's documents.
    assert host_client(f"{BRZEG}.localhost").get(f"/dokumenty/{public_doc}").status_code == 404
    # A tenant whose policy hides the library has no public pages for it.
    assert host_client("kuzniki.localhost").get("/dokumenty/").status_code == 404


def test_a_scheduled_document_is_hidden_until_its_publication(office, resident_client):
    upload(office, title="Plan gospodarczy", when=utcnow() + timedelta(days=2))
    document_id = newest(ZW)
    client, _ = resident_client(ZW)
    assert client.get(f"/konto/dokumenty/{document_id}").status_code == 404
    assert "zaplanowany" in text(office.get("/staff/dokumenty/"))


def test_search_over_titles_and_numbers(office, resident_client):
    upload(office, title="Regulamin porządku domowego", number="R/7/2025")
    upload(office, title="Uchwała w sprawie funduszu remontowego", number="15/2026",
           category="general_meeting")
    client, _ = resident_client(ZW)
    by_number = text(client.get("/konto/dokumenty/?q=15%2F2026"))
    assert "funduszu remontowego" in by_number and "porządku domowego" not in by_number
    by_title = text(client.get("/konto/dokumenty/?q=PORZĄDKU"))
    assert "porządku domowego" in by_title and "funduszu" not in by_title
    nothing = text(client.get("/konto/dokumenty/?q=zzzz"))
    assert "Nie znaleziono dokumentów." in nothing
    office.get("/staff/dokumenty/")  # shows (and so clears) the "saved" messages
    staff_page = text(office.get("/staff/dokumenty/?q=R%2F7"))
    assert "porządku domowego" in staff_page and "funduszu" not in staff_page


def test_new_since_the_last_visit(office, resident_client):
    upload(office, title="Pierwszy dokument")
    client, _ = resident_client(ZW)
    first = text(client.get("/konto/dokumenty/"))
    assert "nowy</span>" not in first  # the first visit has nothing to compare with
    upload(office, title="Drugi dokument")
    second = text(client.get("/konto/dokumenty/"))
    assert second.count("nowy</span>") == 1
    assert "pojawił się 1 nowy dokument" in second
    third = text(client.get("/konto/dokumenty/"))
    assert "nowy</span>" not in third


def test_email_notice_goes_to_the_audience_through_the_outbox(office, resident_client):
    from iok_saas.modules.notifications.models import OutboxMessage

    _, owner = resident_client(ZW, first="Olga", last="Właścicielka")
    _, stranger = resident_client(ZW, first="Igor", last="Obcy", flat="3")
    upload(office, title="Uchwała o termomodernizacji", audience="owners",
           association_id=owner.association_id, email=True)
    with tenant_scope(tenant(ZW)):
        messages = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "document_published")).all()
        assert [m.to_name for m in messages] == ["Olga Właścicielka"]
        assert "Uchwała o termomodernizacji" in messages[0].subject
        assert f"/konto/dokumenty/{newest(ZW)}" in messages[0].text_body
        assert db.session.get(Document, newest(ZW)).emailed_at is not None
    from iok_saas.modules.documents.tasks import send_due
    assert send_due(tenant(ZW).id) == 0  # sent once only


def test_staff_edit_details_and_other_tenants_cannot_reach_them(office, office_client):
    upload(office, title="Protokół zebrania")
    document_id = newest(ZW)
    page = office.get(f"/staff/dokumenty/{document_id}")
    assert page.status_code == 200
    response = office.post(f"/staff/dokumenty/{document_id}", data={
        "title": "Protokół zebrania z 3 marca", "number": "P/1", "category": "minutes",
        "audience": "residents", "association_id": "None",
        "published_at": "2026-01-02T10:00", "valid_until": "2020-01-01",
        "adopted_on": "2025-01-01"})
    assert response.status_code == 422
    assert "nie może być wcześniejsza" in text(response)
    response = office.post(f"/staff/dokumenty/{document_id}", data={
        "title": "Protokół zebrania z 3 marca", "number": "P/1", "category": "minutes",
        "audience": "residents", "association_id": "None",
        "published_at": "2026-01-02T10:00"})
    assert response.status_code == 302
    with tenant_scope(tenant(ZW)):
        assert db.session.get(Document, document_id).title == "Protokół zebrania z 3 marca"
    other = office_client(BRZEG, login="obcy")
    assert other.get(f"/staff/dokumenty/{document_id}").status_code == 404


def test_the_tab_is_hidden_where_the_policy_does_not_show_it(resident_client, office_client):
    client, _ = resident_client("kuzniki")
    assert client.get("/konto/dokumenty/").status_code == 404
    assert office_client("kuzniki").get("/staff/dokumenty/").status_code == 404


def test_a_second_title_widens_what_a_resident_reads(office, resident_client):
    _, owner = resident_client(ZW, first="Olga", last="Właścicielka")
    client, reader = resident_client(ZW, first="Piotr", last="Nabywca", flat="9")
    upload(office, title="Uchwała budynkowa", audience="owners",
           association_id=owner.association_id)
    document_id = newest(ZW)
    assert client.get(f"/konto/dokumenty/{document_id}").status_code == 404
    give_title(ZW, reader.person_id, owner.unit_id)
    assert client.get(f"/konto/dokumenty/{document_id}").status_code == 200
