"""Stored XSS (ASVS V5.3.3, V5.2.1): markup typed by a resident, an applicant, staff or an
import comes back as text (or sanitised Markdown) on every page that shows it, to the other
side of the desk."""

from __future__ import annotations

import re

from .conftest import World
from .test_idor import SI, ZW

PAYLOADS = ('<script>alert("x1")</script>', '<img src=x onerror=alert("x2")>',
            '"><svg onload=alert("x3")>', "javascript:alert('x4')")
TEXT = " ".join(PAYLOADS)


def assert_inert(page: str, where: str) -> None:
    assert "<script>alert" not in page, where
    assert not re.search(r"<(img|svg)[^>]*\bon\w+=", page), where
    assert not re.search(r"""href=["']?\s*javascript:""", page, re.IGNORECASE), where
    assert "alert(" in page.replace("&#34;", '"').replace("&quot;", '"'), \
        f"{where}: the text itself is still shown"


def test_fault_description_is_text_on_the_staff_desk(world: World):
    client, resident = world.resident_a(ZW)
    response = client.post("/konto/usterki/nowe", data={
        "unit_id": resident.unit_id, "category": "plumbing", "place": "flat",
        "description": "Cieknie kran. " + TEXT})
    assert response.status_code == 302
    fault_path = response.headers["Location"].split("localhost", 1)[-1]
    fault_id = fault_path.rstrip("/").split("/")[-1]
    assert_inert(client.get(fault_path).get_data(as_text=True), "resident fault page")
    office = world.staff(ZW)
    assert_inert(office.get(f"/staff/usterki/{fault_id}").get_data(as_text=True),
                 "staff fault page")


def test_announcement_markdown_is_sanitised_for_residents(world: World):
    client, resident = world.resident_a(ZW)
    office = world.staff(ZW)
    body = ("Treść **ważna**.\n\n" + TEXT + "\n\n[kliknij](javascript:alert('x5'))\n\n"
            "<iframe src=//evil.example></iframe>")
    response = office.post("/staff/ogloszenia/nowe", data={
        "title": 'Tytuł <script>alert("x6")</script>', "body": body,
        "associations": str(resident.association_id), "publish_at": "2020-01-01T10:00"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = client.get("/konto/ogloszenia/").get_data(as_text=True)
    assert_inert(page, "resident announcements")
    assert "<iframe" not in page and "<strong>ważna</strong>" in page


def test_applicant_names_are_text_in_the_staff_queue(world: World):
    public = world.anonymous(ZW)
    response = public.post("/wniosek", data={
        "first_name": 'Ewa<script>alert("x7")</script>', "last_name": '"><svg onload=alert(1)>',
        "street": "ul. Lipowa", "building_number": "3", "flat_number": "1", "city": "Miasto",
        "applicant_type": "owner", "email": "ewa@example.com", "accept_regulations": "y"})
    assert response.status_code == 302
    office = world.staff(ZW)
    from iok_saas.extensions import db
    from iok_saas.modules.enrolment.models import Application
    from iok_saas.tenancy import tenant_scope

    from ..factories import tenant
    with tenant_scope(tenant(ZW)):
        application_id = db.session.query(Application.id).scalar()
    for path in ("/staff/wnioski/", "/staff/wnioski/?stan=confirm_email",
                 f"/staff/wnioski/{application_id}"):
        page = office.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<svg onload" not in page, path
    assert "Ewa&lt;script&gt;" in page


def latest_correction_id(slug: str) -> int:
    from sqlalchemy import func, select

    from iok_saas.extensions import db
    from iok_saas.modules.contact.models import ContactCorrection
    from iok_saas.tenancy import tenant_scope

    from ..factories import tenant
    with tenant_scope(tenant(slug)):
        return db.session.scalar(select(func.max(ContactCorrection.id)))


def test_contact_note_is_text_on_the_staff_desk(world: World):
    client, _ = world.resident_a(SI)
    response = client.post("/konto/dane/korekta", data={
        "email": "nowy@example.com", "note": TEXT})
    assert response.status_code == 302
    office = world.staff(SI)
    assert_inert(office.get("/staff/korekty-danych/").get_data(as_text=True),
                 "staff contact desk")
    correction_id = latest_correction_id(SI)
    assert_inert(office.get(f"/staff/korekty-danych/{correction_id}").get_data(as_text=True),
                 "staff contact correction")
    assert_inert(client.get("/konto/dane/").get_data(as_text=True), "resident contact page")


def test_imported_names_are_text_on_staff_and_resident_pages(world: World):
    client, headers = world.api(ZW)
    _, resident = world.resident_a(ZW)
    response = client.post("/api/v1/imports/persons", json=[{
        "external_id": "XSS-P1", "first_name": '<script>alert("x8")</script>',
        "last_name": '<img src=x onerror=alert("x9")>'}], headers=headers)
    assert response.status_code == 201, response.get_json()
    office = world.staff(ZW)
    page = office.get("/staff/mieszkancy", query_string={"q": "script"}).get_data(as_text=True)
    assert_inert(page, "staff search")
