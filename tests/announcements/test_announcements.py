"""Announcements: staff publish (now or scheduled, for everyone or chosen buildings),
residents read what is meant for them, opted-in residents get each one by e-mail once."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.announcements.models import Announcement
from iok_saas.modules.announcements.tasks import send_due
from iok_saas.modules.notifications.models import OutboxMessage
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import WARSAW, utcnow

from ..factories import tenant

SHOWN = ("siarkowiec", "gdynia", "zielone-wzgorza")
HIDDEN = ("brzeg", "kuzniki")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def local_input(moment) -> str:
    return moment.astimezone(WARSAW).strftime("%Y-%m-%dT%H:%M")


def publish(office, title="Przegląd instalacji gazowej", body="Prosimy o udostępnienie lokali.",
            associations=(), when=None, email=False, announcement_id=None) -> int:
    data = {"title": title, "body": body, "publish_at": local_input(when or utcnow()),
            "associations": [str(a) for a in associations]}
    if email:
        data["email_residents"] = "y"
    url = f"/staff/ogloszenia/{announcement_id}" if announcement_id else "/staff/ogloszenia/nowe"
    response = office.post(url, data=data)
    assert response.status_code == 302, text(response)
    return announcement_id or newest_id(office)


def newest_id(office) -> int:
    slug = office.host.split(".")[0]
    with tenant_scope(tenant(slug)):
        return db.session.scalars(select(Announcement.id).order_by(Announcement.id.desc())
                                  ).first()


def opt_in(client, wanted=True):
    response = client.post("/konto/ogloszenia/powiadomienia",
                           data={"wanted": "y"} if wanted else {})
    assert response.status_code == 302


def outbox(slug: str) -> list[OutboxMessage]:
    with tenant_scope(tenant(slug)):
        return list(db.session.scalars(select(OutboxMessage)
                                       .where(OutboxMessage.kind == "announcement_published")
                                       .order_by(OutboxMessage.id)))


@pytest.mark.parametrize("slug", SHOWN)
def test_published_announcement_is_listed_and_shown(resident_client, office_client, slug):
    office = office_client(slug)
    assert office.get("/staff/ogloszenia/").status_code == 200
    announcement_id = publish(office)
    client, _ = resident_client(slug)
    listing = text(client.get("/konto/ogloszenia/"))
    assert "Przegląd instalacji gazowej" in listing
    # The heading follows the tenant's kind: a cooperative's own, or a manager's.
    assert ("Ogłoszenia spółdzielni" if tenant(slug).kind == "housing_cooperative"
            else "Ogłoszenia zarządcy") in listing
    detail = client.get(f"/konto/ogloszenia/{announcement_id}")
    assert detail.status_code == 200
    assert "Prosimy o udostępnienie lokali." in text(detail)


@pytest.mark.parametrize("slug", HIDDEN)
def test_announcements_are_404_where_the_policy_hides_them(resident_client, office_client,
                                                          slug):
    client, _ = resident_client(slug)
    assert client.get("/konto/ogloszenia/").status_code == 404
    assert client.post("/konto/ogloszenia/powiadomienia").status_code == 404
    assert office_client(slug).get("/staff/ogloszenia/").status_code == 404


def test_markdown_is_rendered_and_sanitised(resident_client, office_client):
    office = office_client("gdynia")
    body = ("**Ważne**: wymiana wodomierzy.\n\n<script>alert('x')</script>\n\n"
            "[kliknij](javascript:alert(1)) i [regulamin](https://example.com/regulamin)")
    announcement_id = publish(office, title="Wodomierze", body=body)
    client, _ = resident_client("gdynia")
    page = client.get(f"/konto/ogloszenia/{announcement_id}").get_data(as_text=True)
    assert "<strong>Ważne</strong>" in page
    assert "<script>alert" not in page
    assert 'href="javascript:' not in page.lower()
    assert 'href="https://example.com/regulamin"' in page
    with tenant_scope(tenant("gdynia")):
        stored = db.session.get(Announcement, announcement_id).body_html
    assert "<script" not in stored and 'href="javascript:' not in stored.lower()


def test_targeted_announcement_reaches_only_its_building(resident_client, office_client):
    inside, resident = resident_client("siarkowiec")
    outside, _ = resident_client("siarkowiec", first="Ewa", last="Sowa")
    office = office_client("siarkowiec")
    announcement_id = publish(office, title="Malowanie klatki",
                              associations=[resident.association_id])
    everyone_id = publish(office, title="Zebranie członków")

    assert "Malowanie klatki" in text(inside.get("/konto/ogloszenia/"))
    assert inside.get(f"/konto/ogloszenia/{announcement_id}").status_code == 200
    listing = text(outside.get("/konto/ogloszenia/"))
    assert "Malowanie klatki" not in listing and "Zebranie członków" in listing
    assert outside.get(f"/konto/ogloszenia/{announcement_id}").status_code == 404
    assert outside.get(f"/konto/ogloszenia/{everyone_id}").status_code == 200


def test_scheduled_announcement_stays_hidden_until_its_time(resident_client, office_client):
    office = office_client("zielone-wzgorza")
    announcement_id = publish(office, title="Wyłączenie wody",
                              when=utcnow() + timedelta(days=7))
    assert "zaplanowane" in text(office.get("/staff/ogloszenia/"))
    client, _ = resident_client("zielone-wzgorza")
    assert "Wyłączenie wody" not in text(client.get("/konto/ogloszenia/"))
    assert client.get(f"/konto/ogloszenia/{announcement_id}").status_code == 404

    with tenant_scope(tenant("zielone-wzgorza")):
        announcement = db.session.get(Announcement, announcement_id)
        announcement.publish_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert "Wyłączenie wody" in text(client.get("/konto/ogloszenia/"))
    assert client.get(f"/konto/ogloszenia/{announcement_id}").status_code == 200


def test_other_tenants_ids_are_404(resident_client, office_client):
    gdynia_id = publish(office_client("gdynia"), title="Tylko Gdynia")
    client, _ = resident_client("siarkowiec")
    assert client.get(f"/konto/ogloszenia/{gdynia_id}").status_code == 404
    other_office = office_client("siarkowiec")
    assert other_office.get(f"/staff/ogloszenia/{gdynia_id}").status_code == 404
    assert other_office.post(f"/staff/ogloszenia/{gdynia_id}/usun").status_code == 404
    with tenant_scope(tenant("gdynia")):
        assert db.session.get(Announcement, gdynia_id) is not None


def test_staff_edit_and_delete(resident_client, office_client):
    office = office_client("gdynia")
    announcement_id = publish(office, title="Stary tytuł")
    form = text(office.get(f"/staff/ogloszenia/{announcement_id}"))
    assert "Stary tytuł" in form
    publish(office, title="Nowy tytuł", body="Poprawiona treść.",
            announcement_id=announcement_id)
    client, _ = resident_client("gdynia")
    page = text(client.get(f"/konto/ogloszenia/{announcement_id}"))
    assert "Nowy tytuł" in page and "Poprawiona treść." in page

    confirm = text(office.get(f"/staff/ogloszenia/{announcement_id}/usun"))
    assert "Usunąć ogłoszenie?" in confirm
    assert client.get(f"/konto/ogloszenia/{announcement_id}").status_code == 200
    assert office.post(f"/staff/ogloszenia/{announcement_id}/usun").status_code == 302
    assert client.get(f"/konto/ogloszenia/{announcement_id}").status_code == 404
    assert "Usunięto ogłoszenie „Nowy tytuł”" in text(office.get("/staff/ogloszenia/"))
    assert "Nowy tytuł" not in text(office.get("/staff/ogloszenia/"))


def test_opt_in_switch(resident_client):
    client, resident = resident_client("gdynia")
    page = text(client.get("/konto/ogloszenia/"))
    assert "Chcę dostawać nowe ogłoszenia e-mailem" in page
    opt_in(client)
    with tenant_scope(tenant("gdynia")):
        assert db.session.get(ResidentAccount, resident.account_id).email_announcements
    assert 'checked' in client.get("/konto/ogloszenia/").get_data(as_text=True)
    opt_in(client, wanted=False)
    with tenant_scope(tenant("gdynia")):
        account = db.session.get(ResidentAccount, resident.account_id)
        db.session.refresh(account)
        assert not account.email_announcements


def test_email_goes_once_and_only_to_opted_in_residents(resident_client, office_client, mail):
    from ..enrolment.conftest import body, wait_for_subject

    keen, _ = resident_client("zielone-wzgorza", email="chce@example.com")
    opt_in(keen)
    resident_client("zielone-wzgorza", email="nie-chce@example.com")
    no_address, _ = resident_client("zielone-wzgorza", email=None)
    opt_in(no_address)

    office = office_client("zielone-wzgorza")
    announcement_id = publish(office, title="Odbiór gabarytów", body="W sobotę od 8:00.",
                              email=True)
    message = wait_for_subject(mail, "Odbiór gabarytów", 1)
    assert message["To"].addresses[0].addr_spec == "chce@example.com"
    assert "W sobotę od 8:00." in body(message)
    assert f"/konto/ogloszenia/{announcement_id}" in body(message)

    assert send_due() == 0
    assert send_due() == 0
    publish(office, title="Odbiór gabarytów (poprawka)", body="W sobotę od 9:00.", email=True,
            announcement_id=announcement_id)
    assert "wysłane" in text(office.get("/staff/ogloszenia/"))
    assert send_due() == 0
    sent = outbox("zielone-wzgorza")
    assert [m.to_address for m in sent] == ["chce@example.com"]
    with tenant_scope(tenant("zielone-wzgorza")):
        assert db.session.get(Announcement, announcement_id).emailed_at is not None


def test_scheduled_email_is_sent_by_the_task_when_due(resident_client, office_client):
    keen, resident = resident_client("gdynia", email="budynek@example.com")
    opt_in(keen)
    elsewhere, _ = resident_client("gdynia", email="inny@example.com")
    opt_in(elsewhere)
    office = office_client("gdynia")
    announcement_id = publish(office, title="Przegląd kominiarski",
                              associations=[resident.association_id],
                              when=utcnow() + timedelta(days=2), email=True)
    assert send_due() == 0
    assert outbox("gdynia") == []

    with tenant_scope(tenant("gdynia")):
        announcement = db.session.get(Announcement, announcement_id)
        announcement.publish_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert send_due() == 1
    assert send_due() == 0
    assert [m.to_address for m in outbox("gdynia")] == ["budynek@example.com"]


def test_without_the_email_box_nobody_is_mailed(resident_client, office_client):
    keen, _ = resident_client("siarkowiec", email="chce@example.com")
    opt_in(keen)
    publish(office_client("siarkowiec"), title="Tylko w portalu")
    assert send_due() == 0
    assert outbox("siarkowiec") == []
