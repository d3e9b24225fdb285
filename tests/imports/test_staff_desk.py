"""The back-office import desk: upload, preview, apply, history; tokens for administrators."""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.modules.imports.models import ApiToken
from iok_saas.modules.ledger.models import LedgerEntry
from iok_saas.tenancy import tenant_scope

from ..factories import tenant
from .conftest import LEDGER_CSV, load_housing


def upload(client, text: str, file_format: str, name: str = "plik.csv"):
    return client.post("/staff/import/", data={
        "file_format": file_format, "file": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data")


def ledger_count(slug: str) -> int:
    with tenant_scope(tenant(slug)):
        return db.session.scalar(select(func.count()).select_from(LedgerEntry))


def run_id_of(html: str) -> int:
    return int(re.search(r"/staff/import/(\d+)/zastosuj", html)[1])


def test_preview_then_apply(office_client):
    office = office_client("brzeg")
    load_housing("brzeg")
    page = office.get("/staff/import/")
    assert page.status_code == 200
    assert "Import danych z systemu księgowego" in page.get_data(as_text=True)

    preview = upload(office, LEDGER_CSV, "ledger", "saldo.csv")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert 'id="preview-ok"' in html
    assert re.search(r'id="counts-ledger">.*?<td class="text-end">4</td>'
                     r'<td class="text-end">4</td>', html, re.S)
    assert ledger_count("brzeg") == 0  # a preview writes nothing

    applied = office.post(f"/staff/import/{run_id_of(html)}/zastosuj", follow_redirects=True)
    html = applied.get_data(as_text=True)
    assert applied.status_code == 200
    assert "Import zastosowany" in html
    assert ledger_count("brzeg") == 4
    # applying the same preview again is refused; uploading the same file again changes nothing
    again = office.post(f"/staff/import/{run_id_of(preview.get_data(as_text=True))}/zastosuj",
                        follow_redirects=True)
    assert "nie można już zastosować" in again.get_data(as_text=True)
    html = upload(office, LEDGER_CSV, "ledger", "saldo.csv").get_data(as_text=True)
    office.post(f"/staff/import/{run_id_of(html)}/zastosuj")
    assert ledger_count("brzeg") == 4

    history = office.get("/staff/import/").get_data(as_text=True)
    assert history.count("saldo.csv") == 4  # two previews, two applied runs
    assert "zastosowany" in history and "sprawdzony (podgląd)" in history


def test_a_bad_file_shows_numbered_errors_and_cannot_be_applied(office_client):
    office = office_client("gdynia")
    load_housing("gdynia")
    bad = LEDGER_CSV + "L9,U1,2025-02-10,2025-02,interest,,Odsetki,-3.00\n"
    response = upload(office, bad, "ledger")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="rejected"' in html
    assert re.search(r"<td>ledger</td><td>6</td><td>amount</td><td>Kwota odsetek \(interest\) "
                     r"musi być większa od zera", html)
    assert "/zastosuj" not in html
    assert ledger_count("gdynia") == 0


def test_a_json_document_with_several_datasets(office_client):
    office = office_client("kuzniki")
    document = ('{"datasets": {"associations": [{"external_id": "A1", "name": "W", '
                '"street": "ul. Polna 1", "city": "Wrocław"}], "units": [{"external_id": '
                '"U1", "association": "A1", "street": "ul. Polna", "building_number": "1", '
                '"unit_number": "2", "city": "Wrocław"}]}}')
    html = upload(office, document, "json", "dane.json").get_data(as_text=True)
    assert 'id="counts-associations"' in html and 'id="counts-units"' in html
    response = office.post(f"/staff/import/{run_id_of(html)}/zastosuj")
    assert response.status_code == 302


def test_any_staff_member_previews_but_only_an_administrator_applies(office_client):
    load_housing("siarkowiec")
    clerk = office_client("siarkowiec", login="referent", role="staff")
    html = upload(clerk, LEDGER_CSV, "ledger").get_data(as_text=True)
    assert "Poproś go o zastosowanie" in html
    assert clerk.post(f"/staff/import/{run_id_of_page(html)}/zastosuj").status_code == 403
    assert ledger_count("siarkowiec") == 0
    assert clerk.get("/staff/import/tokeny").status_code == 403
    assert clerk.post("/staff/import/tokeny", data={"name": "x"}).status_code == 403
    admin = office_client("siarkowiec", login="szef", role="admin")
    assert admin.post(f"/staff/import/{run_id_of_page(html)}/zastosuj").status_code == 302
    assert ledger_count("siarkowiec") == 4


def run_id_of_page(html: str) -> int:
    return int(re.search(r"Import nr (\d+)", html)[1])


def test_runs_and_tokens_of_another_cooperative_are_404(office_client):
    brzeg = office_client("brzeg")
    html = upload(brzeg, LEDGER_CSV, "ledger").get_data(as_text=True)
    run_id = run_id_of_page(html)
    assert brzeg.get(f"/staff/import/{run_id}").status_code == 200
    brzeg.post("/staff/import/tokeny", data={"name": "FK"})
    with tenant_scope(tenant("brzeg")):
        token_id = db.session.scalar(select(ApiToken.id))
    gdynia = office_client("gdynia")
    assert gdynia.get(f"/staff/import/{run_id}").status_code == 404
    assert gdynia.post(f"/staff/import/{run_id}/zastosuj").status_code == 404
    assert f"/staff/import/{run_id}\"" not in gdynia.get("/staff/import/").get_data(as_text=True)
    assert gdynia.post(f"/staff/import/tokeny/{token_id}/uniewaznij").status_code == 404
    with tenant_scope(tenant("brzeg")):
        db.session.expire_all()
        assert db.session.scalar(select(ApiToken.revoked_at)) is None


def test_signed_out_visitors_are_sent_to_the_staff_login(synced, host_client):
    response = host_client("brzeg.localhost").get("/staff/import/")
    assert response.status_code == 302 and "/staff/logowanie" in response.headers["Location"]


def _kept_files(app) -> list:
    return sorted((Path(app.config["IOK_VAR_DIR"]) / "imports").glob("*/run-*.upload"))


def _age(path, hours: float) -> None:
    stamp = time.time() - hours * 3600
    os.utime(path, (stamp, stamp))


def test_a_preview_nobody_applies_expires_and_cannot_be_applied(app, office_client):
    office = office_client("brzeg")
    load_housing("brzeg")
    old_html = upload(office, LEDGER_CSV, "ledger", "stary.csv").get_data(as_text=True)
    (old_file,) = _kept_files(app)
    _age(old_file, app.config["IOK_IMPORT_PREVIEW_HOURS"] + 1)

    fresh_html = upload(office, LEDGER_CSV, "ledger", "nowy.csv").get_data(as_text=True)
    assert old_file not in _kept_files(app) and len(_kept_files(app)) == 1  # swept
    refused = office.post(f"/staff/import/{run_id_of(old_html)}/zastosuj", follow_redirects=True)
    assert "plik wygasł" in refused.get_data(as_text=True)
    assert ledger_count("brzeg") == 0
    office.post(f"/staff/import/{run_id_of(fresh_html)}/zastosuj")
    assert ledger_count("brzeg") == 4 and _kept_files(app) == []  # applied: file gone


def test_expired_previews_are_deleted_by_the_cli_command(app, office_client):
    office = office_client("kuzniki")
    load_housing("kuzniki")
    for name in ("a.csv", "b.csv"):
        upload(office, LEDGER_CSV, "ledger", name)
    older, newer = _kept_files(app)
    _age(older, app.config["IOK_IMPORT_PREVIEW_HOURS"] + 0.5)
    result = app.test_cli_runner().invoke(args=["imports", "expire-previews"])
    assert result.exit_code == 0, result.output
    assert "1 expired preview file(s) deleted" in result.output
    assert _kept_files(app) == [newer]
