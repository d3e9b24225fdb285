"""Paperless charge notices: consent, the import, publishing, e-mail, read receipts, staff."""

from __future__ import annotations

import html
import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.modules.imports.models import REJECTED
from iok_saas.modules.imports.services import import_rows
from iok_saas.modules.notices import services
from iok_saas.modules.notices.models import (
    ChargeNotice,
    ChargeNoticeLine,
    NoticeConsent,
    NoticeDelivery,
)
from iok_saas.modules.notifications.models import OutboxMessage
from iok_saas.tenancy import tenant_scope

from ..factories import tenant
from .helpers import TOTAL, consent, import_notices, publish

ZW, KU = "zielone-wzgorza", "kuzniki"
JAN = date(2027, 1, 1)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(slug: str, model) -> int:
    with tenant_scope(tenant(slug)):
        return db.session.scalar(select(func.count()).select_from(model))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize("slug, status", [
    ("brzeg", 404), ("siarkowiec", 404), ("gdynia", 404), (ZW, 200), (KU, 200)])
def test_tab_and_desk_only_where_the_policy_shows_them(resident_client, office_client, slug,
                                                      status):
    client, _ = resident_client(slug)
    assert client.get("/konto/zawiadomienia/").status_code == status
    assert office_client(slug).get("/staff/zawiadomienia/").status_code == status


def test_consent_is_recorded_with_its_version_shown_to_staff_and_withdrawable(
        resident_client, office_client):
    client, res = resident_client(ZW)
    page = text(client.get("/konto/zawiadomienia/"))
    assert "otrzymujesz teraz na papierze" in page
    assert "Zgadzam się na doręczanie" in page  # the policy's consent wording
    assert client.post("/konto/zawiadomienia/zgoda", data={"agree": "y"}).status_code == 302
    page = text(client.get("/konto/zawiadomienia/"))
    assert "wersja treści: 2026-11" in page  # zielone-wzgorza.yaml's consent_version

    desk = text(office_client(ZW).get("/staff/zawiadomienia/zgody"))
    assert "Anna Nowicka" in desk and "2026-11" in desk and res.login in desk

    assert client.post("/konto/zawiadomienia/zgoda", data={"withdraw": "x"}).status_code == 302
    assert "otrzymujesz teraz na papierze" in text(client.get("/konto/zawiadomienia/"))
    desk = office_client(ZW, "kadry").get("/staff/zawiadomienia/zgody")
    assert res.login not in text(desk)  # withdrawn: not in force
    everything = text(office_client(ZW, "kadry2").get("/staff/zawiadomienia/zgody?widok=wszystkie"))
    assert res.login in everything
    with tenant_scope(tenant(ZW)):
        (row,) = db.session.scalars(select(NoticeConsent)).all()
        assert row.version == "2026-11" and row.given_at and row.withdrawn_at
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"notice_consent.given", "notice_consent.withdrawn"} <= actions


def test_consent_needs_the_tick_and_an_email_and_writes_nothing_otherwise(resident_client):
    client, _ = resident_client(ZW)
    response = client.post("/konto/zawiadomienia/zgoda", data={})
    assert response.status_code == 400
    assert "Zaznacz pole zgody" in text(response)
    no_mail, _ = resident_client(ZW, email=None)
    response = no_mail.post("/konto/zawiadomienia/zgoda", data={"agree": "y"})
    assert response.status_code == 400
    assert "potrzebny jest adres e-mail" in text(response)
    assert count(ZW, NoticeConsent) == 0


def test_a_bad_row_in_the_notice_import_writes_nothing(resident_client):
    _, res = resident_client(KU)
    with tenant_scope(tenant(KU)):
        run = import_rows({
            "notices": [{"external_id": "N1", "unit": "NO-SUCH-UNIT", "period": "2027-13"}],
            "notice_lines": [{"external_id": "L1", "notice": "N1", "title": "Czynsz",
                              "amount": "1.234"}]}, source="test", actor="test")
        assert run.status == REJECTED
        fields = {(e["dataset"], e["field"]) for e in run.errors}
        assert {("notices", "unit"), ("notices", "period"), ("notice_lines", "amount")} <= fields
    assert count(KU, ChargeNotice) == 0 and count(KU, ChargeNoticeLine) == 0


def test_publish_emails_the_pdf_once_records_the_opening_and_lists_paper(
        resident_client, office_client, mail):
    reader, res = resident_client(ZW, email="czytelnik@example.com")
    _, paper = resident_client(ZW, first="Piotr", last="Papierowy", flat="3")
    consent(ZW, res.account_id)
    notice_id, paper_notice = import_notices(ZW, [res.unit_id, paper.unit_id])
    # Not published yet: the resident does not see it, even by its id.
    assert reader.get(f"/konto/zawiadomienia/{notice_id}").status_code == 404

    desk = office_client(ZW)
    response = desk.post("/staff/zawiadomienia/publikuj", data={"period": "2027-01",
                                                                "confirm": "y"})
    assert response.status_code == 302
    (message,) = mail.wait_for(1)
    assert message["To"].endswith("<czytelnik@example.com>")
    # (Python's header folding drops the space between two encoded words: "owysokości".)
    assert message["Subject"].startswith("[SM „Zielone Wzgórza”] Zawiadomienie")
    assert message["Subject"].endswith("opłat: styczeń 2027")
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    printed = pdf_text(attachment.get_content())
    assert "Zawiadomienie o wysokości opłat" in printed and "1 stycznia 2027" in printed
    assert TOTAL in printed and "Anna Nowicka" in printed
    assert "1140 1140 1140 1140 1140 1140" in printed  # the flat's account, grouped

    # Publishing again sends nothing new: every message exactly once.
    assert desk.post("/staff/zawiadomienia/publikuj", data={
        "period": "2027-01", "confirm": "y"}).status_code == 302
    assert count(ZW, OutboxMessage) == 1 and count(ZW, NoticeDelivery) == 1

    period_page = text(desk.get("/staff/zawiadomienia/okres/2027-01"))
    assert "czytelnik@example.com" in period_page and "wysłano" in period_page
    assert "Do wysłania na papierze (1)" in period_page
    assert "ul. Lipowa" in period_page
    assert "Otwarte przez mieszkańców: 0" in period_page

    page = text(reader.get("/konto/zawiadomienia/"))
    assert "styczeń 2027" in page and TOTAL in page
    download = reader.get(f"/konto/zawiadomienia/{notice_id}")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert TOTAL in pdf_text(download.data)
    period_page = text(desk.get("/staff/zawiadomienia/okres/2027-01"))
    assert "Otwarte przez mieszkańców: 1" in period_page
    with tenant_scope(tenant(ZW)):
        delivery = db.session.scalar(select(NoticeDelivery))
        assert delivery.opened_at is not None
    # The other resident's notice is not this resident's to open.
    assert reader.get(f"/konto/zawiadomienia/{paper_notice}").status_code == 404


def test_link_policy_sends_a_link_and_no_attachment(resident_client, mail):
    _, res = resident_client(KU, email="link@example.com")
    consent(KU, res.account_id)
    (notice_id,) = import_notices(KU, [res.unit_id])
    assert publish(KU) == 1
    (message,) = mail.wait_for(1)
    assert list(message.iter_attachments()) == []
    body = message.get_body(("plain",)).get_content()
    assert f"/konto/zawiadomienia/{notice_id}" in body


def test_sending_a_batch_twice_queues_each_message_once(resident_client):
    _, first = resident_client(KU)
    _, second = resident_client(KU, first="Ewa", flat="4")
    for res in (first, second):
        consent(KU, res.account_id)
    import_notices(KU, [first.unit_id, second.unit_id])
    with tenant_scope(tenant(KU)):
        pending = services.publish(JAN, "test")
        db.session.commit()
        assert services.send_deliveries(pending) == 2
        db.session.commit()
        assert services.send_deliveries(pending) == 0
        db.session.commit()
        assert services.publish(JAN, "test") == []  # nothing left to stage
    assert count(KU, OutboxMessage) == 2


def test_only_administrators_publish_and_a_bad_period_is_refused(office_client, resident_client):
    _, res = resident_client(ZW)
    import_notices(ZW, [res.unit_id])
    clerk = office_client(ZW, "referent", role="staff")
    response = clerk.post("/staff/zawiadomienia/publikuj", data={"period": "2027-01",
                                                                 "confirm": "y"})
    assert response.status_code == 403
    admin = office_client(ZW)
    for data, message in (({"period": "2031-05", "confirm": "y"}, "Wybierz okres z listy"),
                          ({"period": "2027-01"}, "Potwierdź publikację"),
                          ({"period": "zły", "confirm": "y"}, "Wybierz okres z listy")):
        response = admin.post("/staff/zawiadomienia/publikuj", data=data)
        assert response.status_code == 400 and message in text(response), data
    with tenant_scope(tenant(ZW)):
        assert db.session.scalar(select(ChargeNotice.published_at)) is None
    assert admin.get("/staff/zawiadomienia/okres/2031-05").status_code == 404
    assert admin.get("/staff/zawiadomienia/okres/nie-okres").status_code == 404


def test_notices_of_another_tenant_are_not_found(resident_client):
    _, owner = resident_client(ZW)
    (notice_id,) = import_notices(ZW, [owner.unit_id])
    publish(ZW)
    stranger, _ = resident_client(KU)
    assert stranger.get(f"/konto/zawiadomienia/{notice_id}").status_code == 404


def test_cli_publishes_and_refuses_bad_input(app, resident_client):
    _, res = resident_client(KU)
    consent(KU, res.account_id)
    import_notices(KU, [res.unit_id])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notices", "publish", "--tenant", KU, "2027-13"])
    assert result.exit_code != 0 and "not a period" in result.output
    result = runner.invoke(args=["notices", "publish", "--tenant", "brzeg", "2027-01"])
    assert result.exit_code != 0 and "does not show charge_notices" in result.output
    result = runner.invoke(args=["notices", "publish", "--tenant", KU, "2026-01"])
    assert result.exit_code != 0 and "Brak zawiadomień" in result.output
    result = runner.invoke(args=["notices", "publish", "--tenant", KU, "2027-01"])
    assert result.exit_code == 0, result.output
    assert "1 e-mails to send" in result.output
    assert count(KU, OutboxMessage) == 1


def test_the_worker_that_renders_a_batch_sends_it_itself(resident_client, mail, monkeypatch):
    """Rendering and sending overlap: the notices task sends the e-mails it has just
    committed over its own SMTP connection rather than queueing a delivery task behind
    the other batches' rendering. With the outbox's own queue unusable they still arrive,
    once each, with the PDF."""
    from iok_saas.modules.notifications import tasks as outbox_tasks

    def broker_refuses(*_args, **_kwargs):
        raise ConnectionError("the outbox queue must not be needed")

    monkeypatch.setattr(outbox_tasks.deliver_batch, "delay", broker_refuses)
    residents = [resident_client(ZW, first=name, flat=flat, email=f"{name.lower()}@example.com")
                 for name, flat in (("Ewa", "3"), ("Jan", "4"), ("Ola", "5"))]
    for _client, res in residents:
        consent(ZW, res.account_id)
    import_notices(ZW, [res.unit_id for _client, res in residents])
    assert publish(ZW) == 3
    messages = mail.wait_for(3)
    assert sorted(m["To"].split("<")[-1].rstrip(">") for m in messages) == [
        "ewa@example.com", "jan@example.com", "ola@example.com"]
    for message in messages:
        (attachment,) = list(message.iter_attachments())
        assert TOTAL in pdf_text(attachment.get_content())
    with tenant_scope(tenant(ZW)):
        states = db.session.scalars(select(OutboxMessage.state)).all()
    assert states == ["sent"] * 3
