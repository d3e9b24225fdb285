"""The office imports the accounting system's ledger in a real Chromium: a file with a bad
row is refused with the row, the column and a Polish reason, and nothing is written (on a
phone); the corrected file is previewed, applied by the office administrator (on a laptop),
and the resident sees the new entries on the ledger page — axe-core on every page."""

from __future__ import annotations

import pytest

from iok_saas.extensions import db
from iok_saas.modules.housing.models import Unit
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import WARSAW, utcnow

from ..factories import (
    RESIDENT_PASSWORD,
    STAFF_PASSWORD,
    STAFF_TOTP_SECRET,
    active_resident,
    staff,
    tenant,
)
from .support import sign_in_resident, sign_in_staff

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ctx")]

SLUG = "zielone-wzgorza"
HEADER = "external_id,unit,booking_date,period,kind,component,title,amount\n"


def _ledger_file(folder, name: str, unit: str, payment_kind: str):
    month = utcnow().astimezone(WARSAW).date().replace(day=1)
    path = folder / name
    path.write_text(
        HEADER
        + f"IMP-1,{unit},{month.isoformat()},{month:%Y-%m},charge,,Czynsz {month:%m.%Y},312.40\n"
        + f"IMP-2,{unit},{month.isoformat()},{month:%Y-%m},{payment_kind},,Wpłata,-312.40\n",
        encoding="utf-8")
    return str(path)


def test_the_office_imports_a_ledger_file_and_the_resident_sees_it(live_server, visitor,
                                                                    tmp_path):
    resident = active_resident(SLUG, "Irena", "Sowa", flat="4")
    staff(SLUG, "ksiegowa")
    with tenant_scope(tenant(SLUG)):
        unit = db.session.get(Unit, resident.unit_id).external_id
    v = visitor("import-desk")
    url = lambda path: live_server.url(SLUG, path)  # noqa: E731

    office = v.new_page({"width": 390, "height": 844})
    sign_in_staff(office, url, "ksiegowa", STAFF_PASSWORD, STAFF_TOTP_SECRET)
    office.goto(url("/staff/import/"))
    v.check(office, "formularz", "staff")
    office.select_option("#file_format", "ledger")
    office.set_input_files("#file", _ledger_file(tmp_path, "bledny.csv", unit, "wplata"))
    office.click("main form [type=submit]")
    assert "Plik odrzucony — liczba błędów: 1" in office.inner_text("#rejected")
    error = office.locator("#import-errors tbody tr").first.locator("td").all_inner_texts()
    assert error[:3] == ["ledger", "3", "kind"]
    v.check(office, "odrzucony", "staff")

    office.set_viewport_size({"width": 1280, "height": 900})
    office.goto(url("/staff/import/"))
    office.select_option("#file_format", "ledger")
    office.set_input_files("#file", _ledger_file(tmp_path, "poprawny.csv", unit, "payment"))
    office.click("main form [type=submit]")
    assert "Podgląd: plik nie zawiera błędów" in office.inner_text("#preview-ok")
    v.check(office, "podglad", "staff")
    office.click("main form [type=submit]:has-text('Zastosuj import')")
    assert "Import zastosowany: utworzono 2, zmieniono 0, bez zmian 0." in office.inner_text(
        "main")
    history = office.goto(url("/staff/import/")) and office.inner_text("#import-history")
    assert "poprawny.csv" in history and "bledny.csv" in history
    v.check(office, "historia", "staff")

    home = v.new_page({"width": 390, "height": 844})
    sign_in_resident(home, url, resident.login, RESIDENT_PASSWORD)
    home.goto(url("/konto/saldo/"))
    ledger = home.inner_text("main")
    assert "Czynsz" in ledger and "312,40" in ledger
    v.check(home, "saldo")
    v.assert_accessible()
