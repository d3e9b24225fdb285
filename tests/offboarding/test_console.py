"""The offboarding controls on the operator's tenant page, as an operator uses them."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.modules.audit.models import PlatformAuditEvent
from iok_saas.modules.housing.models import Person
from iok_saas.modules.tenants.models import Tenant
from iok_saas.tenancy import tenant_scope

from ..factories import operator, resident, sign_in_operator, tenant

pytestmark = pytest.mark.usefixtures("ctx")
SLUG = "kuzniki"


@pytest.fixture
def console(synced, host_client):
    operator()
    client = host_client("admin.localhost")
    sign_in_operator(client)
    return client


def _events(action: str) -> list[PlatformAuditEvent]:
    return db.session.scalars(select(PlatformAuditEvent).where(
        PlatformAuditEvent.action == action)).all()


def test_the_tenant_page_offers_export_and_scheduled_deletion(console):
    page = console.get(f"/operator/tenants/{SLUG}").get_data(as_text=True)
    assert "Eksport danych" in page and "Zaplanuj usunięcie" in page
    assert "Do usunięcia" not in page


def test_export_downloads_the_archive_and_is_audited(console):
    resident(SLUG, first="Zofia", last="Eksportowa")
    response = console.post(f"/operator/tenants/{SLUG}/eksport")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["tenant"]["slug"] == SLUG
        persons = archive.read("datasets/persons.csv").decode()
        assert "Zofia,Eksportowa" in persons
    response.close()
    [event] = _events("tenant.export")
    assert event.actor == "operator:ops@example.com"
    assert event.after["rows"]["person"] == 1


def test_scheduling_needs_the_slug_typed_and_suspends_the_site(console, host_client):
    assert host_client(f"{SLUG}.localhost").get("/").status_code == 200
    wrong = console.post(f"/operator/tenants/{SLUG}/usuniecie",
                         data={"confirm_slug": "kuznik"}, follow_redirects=True)
    assert "Nie zaplanowano usunięcia" in wrong.get_data(as_text=True)
    assert db.session.scalar(select(Tenant.deletion_due).where(Tenant.slug == SLUG)) is None
    assert not _events("tenant.deletion_scheduled")
    assert host_client(f"{SLUG}.localhost").get("/").status_code == 200

    done = console.post(f"/operator/tenants/{SLUG}/usuniecie",
                        data={"confirm_slug": SLUG}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "Zaplanowano usunięcie danych" in text and "Do usunięcia" in text
    assert "Anuluj usunięcie" in text
    db.session.expire_all()
    assert db.session.scalar(select(Tenant.deletion_due).where(Tenant.slug == SLUG))
    assert host_client(f"{SLUG}.localhost").get("/").status_code == 503
    assert len(_events("tenant.deletion_scheduled")) == 1

    again = console.post(f"/operator/tenants/{SLUG}/usuniecie",
                         data={"confirm_slug": SLUG}, follow_redirects=True)
    assert "już zaplanowane" in again.get_data(as_text=True)
    assert len(_events("tenant.deletion_scheduled")) == 1

    # Resuming is not the way back: it would leave a live site due for deletion.
    assert 'id="status-deletion"' in text and "Przywróć serwis" not in text
    resumed = console.post(f"/operator/tenants/{SLUG}/status/resume",
                           data={"reason": "Klient wrócił"}, follow_redirects=True)
    assert "najpierw anuluj usunięcie" in resumed.get_data(as_text=True)
    assert host_client(f"{SLUG}.localhost").get("/").status_code == 503

    cancelled = console.post(f"/operator/tenants/{SLUG}/usuniecie/anuluj",
                             follow_redirects=True)
    assert "Anulowano usunięcie" in cancelled.get_data(as_text=True)
    assert host_client(f"{SLUG}.localhost").get("/").status_code == 200
    assert len(_events("tenant.deletion_cancelled")) == 1


def test_the_cli_exports_schedules_purges_and_restores(synced, tmp_path):
    resident(SLUG, first="Zofia", last="Wierszowa")
    cli = synced.test_cli_runner()
    archive = tmp_path / "k.zip"
    result = cli.invoke(args=["offboarding", "export", SLUG, "-o", str(archive)])
    assert result.exit_code == 0, result.output
    assert cli.invoke(args=["offboarding", "schedule", SLUG, "--days", "0"]).exit_code == 0
    purged = cli.invoke(args=["offboarding", "purge"])
    assert f"purged {SLUG}" in purged.output
    assert cli.invoke(args=["offboarding", "purge"]).output.strip() == "nothing due"
    taken = cli.invoke(args=["offboarding", "restore", str(archive), "--slug", "brzeg"])
    assert taken.exit_code == 1 and "slug 'brzeg' is taken" in taken.output
    restored = cli.invoke(args=["offboarding", "restore", str(archive), "--slug", "kuzniki-2"])
    assert restored.exit_code == 0, restored.output
    with tenant_scope(tenant("kuzniki-2")):
        assert db.session.scalar(select(func.count(Person.id)).where(
            Person.last_name == "Wierszowa")) == 1


def test_only_operators_reach_the_controls(synced, host_client):
    anonymous = host_client("admin.localhost")
    for path in (f"/operator/tenants/{SLUG}/eksport", f"/operator/tenants/{SLUG}/usuniecie",
                 f"/operator/tenants/{SLUG}/usuniecie/anuluj"):
        answer = anonymous.post(path, data={"confirm_slug": SLUG})
        assert answer.status_code == 302 and "/operator/login" in answer.headers["Location"]
        # A tenant's own host has no such pages.
        assert host_client(f"{SLUG}.localhost").post(path).status_code == 404
    assert db.session.scalar(select(Tenant.deletion_due).where(Tenant.slug == SLUG)) is None
    assert not _events("tenant.export")


def test_an_unknown_tenant_is_a_404(console):
    assert console.post("/operator/tenants/nie-ma/eksport").status_code == 404
    assert console.post("/operator/tenants/nie-ma/usuniecie",
                        data={"confirm_slug": "nie-ma"}).status_code == 404


def test_an_uploaded_archive_is_restored_as_a_new_tenant(console, host_client, tmp_path):
    resident(SLUG, first="Zofia", last="Przywrócona")
    archive = console.post(f"/operator/tenants/{SLUG}/eksport").get_data()
    page = console.get("/operator/przywracanie")
    assert page.status_code == 200 and "Przywróć dane z archiwum" in page.get_data(as_text=True)

    bad = bytearray(archive)
    # Flip one byte inside the first stored entry's data: the checksum no longer matches
    # (or the zip's own CRC check refuses it); either way nothing is written.
    broken = console.post("/operator/przywracanie", content_type="multipart/form-data", data={
        "archive": (io.BytesIO(bytes(bad[:200]) + b"\x00" + bytes(bad[201:])), "k.zip"),
        "slug": "kuzniki-kopia"})
    assert broken.status_code == 422
    assert "Nie przywrócono" in broken.get_data(as_text=True)
    assert db.session.scalar(select(Tenant.id).where(Tenant.slug == "kuzniki-kopia")) is None

    junk = console.post("/operator/przywracanie", content_type="multipart/form-data", data={
        "archive": (io.BytesIO(b"just text"), "k.zip"), "slug": "kuzniki-kopia"})
    assert junk.status_code == 422 and "nie jest archiwum ZIP" in junk.get_data(as_text=True)

    taken = console.post("/operator/przywracanie", content_type="multipart/form-data", data={
        "archive": (io.BytesIO(archive), "k.zip"), "slug": "brzeg"})
    assert taken.status_code == 422
    assert "Skrót „brzeg” ma już inna spółdzielnia" in taken.get_data(as_text=True)

    done = console.post("/operator/przywracanie", content_type="multipart/form-data", data={
        "archive": (io.BytesIO(archive), "k.zip"), "slug": "kuzniki-kopia"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/operator/tenants/kuzniki-kopia")
    assert host_client("kuzniki-kopia.localhost").get("/").status_code == 200
    with tenant_scope(tenant("kuzniki-kopia")):
        assert db.session.scalar(select(func.count(Person.id)).where(
            Person.last_name == "Przywrócona")) == 1
    assert len(_events("tenant.restore")) == 1


def test_a_copy_beside_its_living_source_is_refused_in_polish(console):
    from iok_saas.modules.notifications.services import queue_email

    with tenant_scope(tenant(SLUG)):
        queue_email("announcement", "ola@example.com", "Ola", "Temat", "Treść")
        db.session.commit()
    archive = console.post(f"/operator/tenants/{SLUG}/eksport").get_data()
    clash = console.post("/operator/przywracanie", content_type="multipart/form-data", data={
        "archive": (io.BytesIO(archive), "k.zip"), "slug": "kuzniki-kopia"})
    assert clash.status_code == 422
    assert "Przywróć je po usunięciu tamtej spółdzielni" in clash.get_data(as_text=True)
    assert db.session.scalar(select(Tenant.id).where(Tenant.slug == "kuzniki-kopia")) is None
