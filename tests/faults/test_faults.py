"""Fault reports: residents file them (with a checked photo), staff move them along, the
resident sees the history and gets an e-mail; nobody else sees them."""

from __future__ import annotations

import html
import io

import pytest
from PIL import Image
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.modules.faults.models import FaultReport
from iok_saas.tenancy import tenant_scope

from ..factories import tenant

SHOWN = ("zielone-wzgorza", "kuzniki")
HIDDEN = ("brzeg", "siarkowiec", "gdynia")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def png_bytes(size=(8, 6), color=(200, 30, 30), kind="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=kind)
    return buffer.getvalue()


def report_form(resident, description="Cieknie kran w łazience, woda kapie na podłogę.",
                photo=None, **extra) -> dict:
    data = {"unit_id": str(resident.unit_id), "category": "plumbing", "place": "flat",
            "description": description}
    if photo is not None:
        data["photo"] = photo
    data.update(extra)
    return data


def file_fault(client, resident, **kwargs) -> int:
    response = client.post("/konto/usterki/nowe", data=report_form(resident, **kwargs),
                           content_type="multipart/form-data")
    assert response.status_code == 302, text(response)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


@pytest.mark.parametrize("slug", SHOWN)
def test_resident_files_a_report_and_sees_it_listed(resident_client, slug):
    client, resident = resident_client(slug)
    page = client.get("/konto/usterki/")
    assert page.status_code == 200
    assert "Nie masz jeszcze żadnych zgłoszeń" in text(page)
    assert "Zgłoszenia usterek" in text(page)

    fault_id = file_fault(client, resident)
    listing = text(client.get("/konto/usterki/"))
    assert f"nr {fault_id}" in listing and "Nowe" in listing
    assert "Hydraulika" in listing
    detail = text(client.get(f"/konto/usterki/{fault_id}"))
    assert "Cieknie kran w łazience" in detail
    assert "zgłoszenie przyjęte" in detail


@pytest.mark.parametrize("slug", HIDDEN)
def test_faults_are_404_where_the_policy_hides_them(resident_client, office_client, slug):
    client, _ = resident_client(slug)
    assert client.get("/konto/usterki/").status_code == 404
    assert client.get("/konto/usterki/nowe").status_code == 404
    office = office_client(slug)
    assert office.get("/staff/usterki/").status_code == 404


def test_the_form_refuses_an_empty_or_short_description(resident_client):
    client, resident = resident_client("kuzniki")
    response = client.post("/konto/usterki/nowe", data=report_form(resident, description="zle"),
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Opis musi mieć od 10 do 2000 znaków" in text(response)
    response = client.post("/konto/usterki/nowe", data=report_form(resident, description=""),
                           content_type="multipart/form-data")
    assert "Opisz usterkę" in text(response)


def test_a_unit_of_someone_else_cannot_be_chosen(resident_client):
    client, resident = resident_client("kuzniki")
    _, other = resident_client("kuzniki", first="Ewa", last="Sowa")
    data = report_form(resident)
    data["unit_id"] = str(other.unit_id)
    response = client.post("/konto/usterki/nowe", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 422
    with tenant_scope(tenant("kuzniki")):
        assert db.session.scalars(select(FaultReport)).all() == []


def test_a_real_png_is_accepted_and_served_back(resident_client):
    client, resident = resident_client("zielone-wzgorza")
    image = png_bytes()
    fault_id = file_fault(client, resident, photo=(io.BytesIO(image), "kran.png"))
    detail = text(client.get(f"/konto/usterki/{fault_id}"))
    assert f"/konto/usterki/{fault_id}/zdjecie" in detail
    served = client.get(f"/konto/usterki/{fault_id}/zdjecie")
    assert served.status_code == 200
    with Image.open(io.BytesIO(served.data)) as photo:
        assert (photo.format, photo.size, photo.getpixel((0, 0))) == ("PNG", (8, 6),
                                                                      (200, 30, 30))
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["Content-Disposition"].startswith("inline")
    assert served.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("kind", "name", "content_type"), [
    ("JPEG", "zdjecie.jpeg", "image/jpeg"), ("WEBP", "zdjecie.webp", "image/webp"),
    ("JPEG", "zdjecie.png", "image/jpeg")])
def test_jpeg_and_webp_are_served_with_the_type_of_their_content(resident_client, kind, name,
                                                                content_type):
    client, resident = resident_client("kuzniki")
    image = png_bytes(kind=kind)
    fault_id = file_fault(client, resident, photo=(io.BytesIO(image), name))
    served = client.get(f"/konto/usterki/{fault_id}/zdjecie")
    assert served.headers["Content-Type"] == content_type
    with Image.open(io.BytesIO(served.data)) as photo:  # the same picture, re-encoded
        assert (photo.format, photo.size) == (kind, (8, 6))


def test_a_gif_is_refused(resident_client):
    client, resident = resident_client("kuzniki")
    gif = io.BytesIO(png_bytes(kind="GIF"))
    response = client.post("/konto/usterki/nowe",
                           data=report_form(resident, photo=(gif, "animacja.gif")),
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "nie jest zdjęciem w formacie JPEG, PNG ani WebP" in text(response)


def test_a_resident_with_two_flats_chooses_one(resident_client):
    from ..factories import give_title

    client, resident = resident_client("kuzniki")
    _, other = resident_client("kuzniki", first="Ewa", last="Sowa", flat="7")
    give_title("kuzniki", resident.person_id, other.unit_id)
    form = text(client.get("/konto/usterki/nowe"))
    assert f'value="{resident.unit_id}"' in form and f'value="{other.unit_id}"' in form
    fault_id = file_fault(client, resident, unit_id=str(other.unit_id))
    with tenant_scope(tenant("kuzniki")):
        assert db.session.get(FaultReport, fault_id).unit_id == other.unit_id


def test_a_text_file_named_jpg_is_refused(resident_client):
    client, resident = resident_client("zielone-wzgorza")
    fake = io.BytesIO(b"To nie jest zdjecie, tylko tekst.\n" * 20)
    response = client.post("/konto/usterki/nowe",
                           data=report_form(resident, photo=(fake, "zdjecie.jpg")),
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "nie jest zdjęciem w formacie JPEG, PNG ani WebP" in text(response)
    with tenant_scope(tenant("zielone-wzgorza")):
        assert db.session.scalars(select(FaultReport)).all() == []


def test_a_file_with_png_header_but_garbage_inside_is_refused(resident_client):
    client, resident = resident_client("zielone-wzgorza")
    forged = io.BytesIO(png_bytes()[:40] + b"\x00" * 200)
    response = client.post("/konto/usterki/nowe",
                           data=report_form(resident, photo=(forged, "zdjecie.png")),
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Nie udało się odczytać zdjęcia" in text(response)


def test_a_photo_over_5_mb_is_refused(resident_client):
    client, resident = resident_client("zielone-wzgorza")
    big = io.BytesIO(png_bytes() + b"\x00" * (5 * 1024 * 1024))
    response = client.post("/konto/usterki/nowe",
                           data=report_form(resident, photo=(big, "duze.png")),
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "najwyżej 5 MB" in text(response)


def test_other_residents_and_other_tenants_get_404(resident_client, office_client):
    client, resident = resident_client("kuzniki")
    fault_id = file_fault(client, resident, photo=(io.BytesIO(png_bytes()), "a.png"))
    neighbour, _ = resident_client("kuzniki", first="Ewa", last="Sowa")
    assert neighbour.get(f"/konto/usterki/{fault_id}").status_code == 404
    assert neighbour.get(f"/konto/usterki/{fault_id}/zdjecie").status_code == 404
    assert f"nr {fault_id}" not in text(neighbour.get("/konto/usterki/"))
    stranger, _ = resident_client("zielone-wzgorza")
    assert stranger.get(f"/konto/usterki/{fault_id}").status_code == 404
    assert stranger.get(f"/konto/usterki/{fault_id}/zdjecie").status_code == 404
    other_office = office_client("zielone-wzgorza")
    assert other_office.get(f"/staff/usterki/{fault_id}").status_code == 404
    assert other_office.get(f"/staff/usterki/{fault_id}/zdjecie").status_code == 404
    assert other_office.post(f"/staff/usterki/{fault_id}",
                             data={"status": "in_progress"}).status_code == 404
    own_office = office_client("kuzniki")
    assert own_office.get(f"/staff/usterki/{fault_id}").status_code == 200
    assert own_office.get(f"/staff/usterki/{fault_id}/zdjecie").status_code == 200


def test_staff_move_a_report_and_the_resident_sees_history_and_gets_mail(
        resident_client, office_client, mail):
    from ..enrolment.conftest import body, wait_for_subject

    client, resident = resident_client("zielone-wzgorza", email="zgloszenie@example.com")
    fault_id = file_fault(client, resident)
    office = office_client("zielone-wzgorza")

    desk = text(office.get("/staff/usterki/"))
    assert f"nr {fault_id}" in desk
    assert "Dział odpowiedzialny" in desk
    assert f"nr {fault_id}" in text(office.get("/staff/usterki/?stan=new"))
    assert f"nr {fault_id}" not in text(office.get("/staff/usterki/?stan=resolved"))

    moved = office.post(f"/staff/usterki/{fault_id}",
                        data={"status": "in_progress", "comment": "Hydraulik przyjdzie jutro."})
    assert moved.status_code == 302
    first = wait_for_subject(mail, "W realizacji", 1)
    assert first["To"].addresses[0].addr_spec == "zgloszenie@example.com"
    assert "Hydraulik przyjdzie jutro." in body(first)
    assert f"/konto/usterki/{fault_id}" in body(first)

    refused = office.post(f"/staff/usterki/{fault_id}", data={"status": "resolved"})
    assert refused.status_code == 422
    assert "napisz komentarz" in text(refused)

    office.post(f"/staff/usterki/{fault_id}", data={"comment": "Zamówiono części."})
    second = wait_for_subject(mail, "Nowy komentarz", 2)
    assert "Zamówiono części." in body(second)

    done = office.post(f"/staff/usterki/{fault_id}",
                       data={"status": "resolved", "comment": "Wymieniono uszczelkę."})
    assert done.status_code == 302
    wait_for_subject(mail, "Załatwione", 3)

    page = text(client.get(f"/konto/usterki/{fault_id}"))
    for fragment in ("Hydraulik przyjdzie jutro.", "Zamówiono części.",
                     "Wymieniono uszczelkę.", "Załatwione", "W realizacji"):
        assert fragment in page
    assert "Załatwione" in text(client.get("/konto/usterki/"))

    with tenant_scope(tenant("zielone-wzgorza")):
        actions = db.session.scalars(select(AuditEvent.action)
                                     .where(AuditEvent.subject_type == "FaultReport")).all()
    assert actions.count("fault.status_changed") == 2
    assert "fault.commented" in actions


def test_a_resolved_report_cannot_go_back(resident_client, office_client):
    client, resident = resident_client("kuzniki")
    fault_id = file_fault(client, resident)
    office = office_client("kuzniki")
    office.post(f"/staff/usterki/{fault_id}", data={"status": "resolved", "comment": "Gotowe."})
    back = office.post(f"/staff/usterki/{fault_id}", data={"status": "in_progress"})
    assert back.status_code == 422
    with tenant_scope(tenant("kuzniki")):
        assert db.session.get(FaultReport, fault_id).status == "resolved"


def test_a_photos_exif_with_its_gps_position_is_not_kept(resident_client):
    client, resident = resident_client("kuzniki")
    exif = Image.Exif()
    exif[0x010F] = "Telefon Testowy"                 # Make
    exif[0x8825] = {1: "N", 2: (52.0, 13.0, 0.0)}    # GPSInfo: latitude
    exif[0x0112] = 6                                  # Orientation: rotate 90° on display
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (10, 120, 10)).save(buffer, format="JPEG", exif=exif)
    fault_id = file_fault(client, resident, photo=(io.BytesIO(buffer.getvalue()), "a.jpg"))
    served = client.get(f"/konto/usterki/{fault_id}/zdjecie")
    with Image.open(io.BytesIO(served.data)) as photo:
        assert photo.format == "JPEG"
        assert dict(photo.getexif()) == {}
        assert photo.size == (20, 40)  # turned upright as the EXIF asked, then dropped
