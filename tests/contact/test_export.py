"""The resident's copy of their personal data (GDPR right of access), as JSON and PDF."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import AccountBlock
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.modules.faults.models import FaultReport
from iok_saas.modules.meters.models import SOURCE_RESIDENT, SUBMITTED, Meter, MeterReading
from iok_saas.modules.occupants.models import OccupantsChange
from iok_saas.modules.records.models import Membership
from iok_saas.tenancy import tenant_scope

from ..factories import tenant
from ..letters_text import pdf_text

pytestmark = pytest.mark.usefixtures("ctx")


def give_data(slug: str, resident, tag: str) -> None:
    """Something of every kind the export covers, marked with ``tag``."""
    with tenant_scope(tenant(slug)):
        meter = Meter(external_id=f"M-{tag}", unit_id=resident.unit_id,
                      serial_number=f"SN-{tag}", kind="cold_water")
        db.session.add(meter)
        db.session.flush()
        db.session.add_all([
            FaultReport(unit_id=resident.unit_id, account_id=resident.account_id,
                        category="water", place="flat", description=f"Cieknie kran {tag}"),
            OccupantsChange(unit_id=resident.unit_id, account_id=resident.account_id,
                            occupants=3, effective_from=date(2026, 1, 1), note=f"Osoby {tag}"),
            MeterReading(meter_id=meter.id, read_on=date(2026, 2, 1), value=Decimal("12.345"),
                         source=SOURCE_RESIDENT, state=SUBMITTED,
                         submitted_by_account_id=resident.account_id),
            Membership(external_id=f"MB-{tag}", person_id=resident.person_id,
                       member_number=f"NR-{tag}", member_since=date(2001, 5, 1),
                       contribution_due=Decimal("100.00"), contribution_paid=Decimal("100.00"),
                       share_due=Decimal("2500.00"), share_paid=Decimal("1000.00")),
            AccountBlock(account_id=resident.account_id, trigger="reported_lost",
                         reason=f"Zgubione hasło {tag}", blocked_by="staff:biuro"),
        ])
        db.session.commit()


@pytest.mark.parametrize("slug", ["kuzniki", "siarkowiec"])
def test_json_export_has_my_data_and_nobody_elses(resident_client, slug):
    client, me = resident_client(slug, first="Irena", last="Sowa")
    _, other = resident_client(slug, first="Tadeusz", last="Obcy")
    give_data(slug, me, "MOJE")
    give_data(slug, other, "OBCE")

    response = client.get("/konto/dane/eksport.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    raw = response.get_data(as_text=True)
    data = json.loads(raw)
    assert data["person"]["first_name"] == "Irena"
    assert data["person"]["last_name"] == "Sowa"
    assert data["account"]["login"] == me.login
    assert data["account"]["password_changed_at"]
    assert data["titles"][0]["unit"]["label"].startswith("ul. Lipowa")
    assert data["fault_reports"][0]["description"] == "Cieknie kran MOJE"
    assert data["occupant_declarations"][0]["occupants"] == 3
    assert data["meter_readings"][0]["value"] == "12.345"
    assert data["memberships"][0]["member_number"] == "NR-MOJE"
    assert data["blocks"][0]["reason"] == "Zgubione hasło MOJE"
    assert data["sessions"] and data["login_attempts"][0]["success"] is True
    assert "OBCE" not in raw and "Obcy" not in raw and other.login not in raw
    assert "argon2" not in raw and "password_hash" not in raw


def test_pdf_export_is_readable(resident_client):
    client, me = resident_client("gdynia", first="Bożena", last="Żuraw")
    give_data("gdynia", me, "PDF")
    response = client.get("/konto/dane/eksport.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = " ".join(" ".join(pdf_text(response.data)).split())
    assert "Bożena" in text and "Żuraw" in text
    assert me.login in text
    assert "Cieknie kran PDF" in text
    assert "1 000,00 zł" in text   # membership share paid, as money
    assert "zimna woda" in text and "właściciel" in text   # codes in Polish


def test_export_is_audited_and_needs_sign_in(resident_client, host_client):
    client, me = resident_client("brzeg")
    assert client.get("/konto/dane/eksport.json").status_code == 200
    with tenant_scope(tenant("brzeg")):
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "personal_data.exported",
            AuditEvent.subject_type == "ResidentAccount",
            AuditEvent.subject_id == me.account_id))
        assert event.after == {"format": "json"}
    stranger = host_client("brzeg.localhost")
    assert stranger.get("/konto/dane/eksport.json").status_code == 302
    assert stranger.get("/konto/dane/eksport.pdf").status_code == 302


def test_export_lists_my_emails_and_corrections(resident_client, office_client, mail):
    client, me = resident_client("siarkowiec", first="Lech", last="Dudek")
    client.post("/konto/dane/korekta", data={"email": "", "phone": "", "note": "Imię: Lech",
                                             "correspondence_address": ""})
    data = json.loads(client.get("/konto/dane/eksport.json").get_data(as_text=True))
    assert data["contact_corrections"][0]["note"] == "Imię: Lech"
    with tenant_scope(tenant("siarkowiec")):
        from iok_saas.modules.contact.models import ContactCorrection
        correction_id = db.session.scalar(select(ContactCorrection.id).where(
            ContactCorrection.person_id == me.person_id))
    office = office_client("siarkowiec")
    office.post(f"/staff/korekty-danych/{correction_id}",
                data={"comment": "Proszę przyjść z dowodem.", "reject": "y"})
    mail.wait_for(1)
    data = json.loads(client.get("/konto/dane/eksport.json").get_data(as_text=True))
    assert data["contact_corrections"][0]["state"] == "rejected"
    assert "odrzucona" in data["emails"][0]["email_subject"]
    actions = [event["action"] for event in data["audit_events"]]
    assert "contact_correction.rejected" in actions and "personal_data.exported" in actions
