"""Mail header injection (ASVS V5.2.3): names and addresses with CR/LF typed into the
enrolment or contact forms, or arriving from an import, never add a header or a recipient to
a message — checked on what a real SMTP server on loopback receives."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.notifications.models import OutboxMessage
from iok_saas.modules.notifications.services import queue_email
from iok_saas.tenancy import tenant_scope

from ..factories import tenant
from .conftest import changed_tables, snapshot

INJECTED = ("Bcc", "Cc", "X-Injected")


@pytest.fixture
def envelopes(mail):
    """The envelope recipients of every message the loopback server accepts."""
    seen: list[list[str]] = []
    original = mail.inbox.handle_DATA

    async def recording(server, session, envelope):
        seen.append(list(envelope.rcpt_tos))
        return await original(server, session, envelope)

    mail.inbox.handle_DATA = recording
    return seen


def assert_clean(message, expected_to: str) -> None:
    for name in INJECTED:
        assert message[name] is None, (name, message[name])
    for name, value in message.items():
        assert "\n" not in str(value) and "\r" not in str(value), (name, value)
    # The hostile text may survive as the quoted display name, never as an address.
    addresses = message["To"].addresses
    assert [a.addr_spec for a in addresses] == [expected_to]


HOSTILE_NAMES = {
    "first_name": "Anna\r\nBcc: thief@evil.example",
    "last_name": "Lis\nX-Injected: yes\r\nCc: thief@evil.example",
    "street": "ul. Lipowa\r\nBcc: thief@evil.example",
}


def _application_form(**overrides):
    form = {"first_name": "Anna", "last_name": "Lis", "street": "ul. Lipowa",
            "building_number": "3", "flat_number": "12", "city": "Miasto",
            "applicant_type": "owner", "phone": "600 100 200",
            "email": "anna.lis@example.com", "accept_regulations": "y"}
    form.update(overrides)
    return form


def test_enrolment_names_with_newlines_add_no_header(synced, host_client, mail, envelopes):
    client = host_client("zielone-wzgorza.localhost")
    response = client.post("/wniosek", data=_application_form(**HOSTILE_NAMES))
    assert response.status_code in (302, 422)
    if response.status_code == 302:
        messages = mail.wait_for(1)
        assert len(messages) == 1
        assert_clean(messages[0], "anna.lis@example.com")
        assert envelopes == [["anna.lis@example.com"]]
    assert all("evil.example" not in rcpt for batch in envelopes for rcpt in batch)


@pytest.mark.parametrize("email", [
    "anna.lis@example.com\r\nBcc: thief@evil.example",
    "anna.lis@example.com\nBcc: thief@evil.example",
    "anna.lis@example.com, thief@evil.example",
    "Anna <anna.lis@example.com>, thief@evil.example",
    "anna.lis@example.com%0d%0aBcc:thief@evil.example",
])
def test_enrolment_email_with_extra_recipients_is_refused(email, synced, host_client, ctx,
                                                         mail, envelopes):
    client = host_client("zielone-wzgorza.localhost")
    before = snapshot()
    response = client.post("/wniosek", data=_application_form(email=email))
    assert response.status_code == 422
    assert changed_tables(before, snapshot()) == []
    assert mail.messages == [] and envelopes == []


@pytest.mark.parametrize("email", [
    "nowy@example.com\r\nBcc: thief@evil.example",
    "nowy@example.com, thief@evil.example",
])
def test_contact_correction_email_with_extra_recipients_is_refused(email, resident_client,
                                                                  mail, envelopes):
    client, _ = resident_client("siarkowiec")
    before = snapshot()
    response = client.post("/konto/dane/korekta", data={"email": email, "note": "zmiana"})
    assert response.status_code == 422
    assert changed_tables(before, snapshot()) == []
    assert mail.messages == [] and envelopes == []


def test_a_correction_note_with_newlines_stays_in_the_body(resident_client, office_client,
                                                          mail, envelopes):
    """The resident's note and the staff's comment travel into the notification: body only."""
    client, resident = resident_client("siarkowiec")
    response = client.post("/konto/dane/korekta", data={
        "email": "nowy.adres@example.com", "note": "Proszę\r\nBcc: thief@evil.example"})
    assert response.status_code == 302
    office = office_client("siarkowiec", department=tenant("siarkowiec").policy.handled_by
                           .contact_corrections)
    from iok_saas.modules.contact.models import ContactCorrection
    with tenant_scope(tenant("siarkowiec")):
        correction_id = db.session.scalar(select(ContactCorrection.id))
    response = office.post(f"/staff/korekty-danych/{correction_id}", data={
        "comment": "Zmienione.\r\nX-Injected: yes\r\nBcc: a@evil.example", "apply": "y"})
    assert response.status_code == 302
    messages = mail.wait_for(1)
    assert messages, "the resident is told about the decision"
    for message in messages:
        assert_clean(message, message["To"].addresses[0].addr_spec)
    assert all("evil.example" not in rcpt for batch in envelopes for rcpt in batch)


def test_imported_names_with_newlines_never_become_headers(synced, ctx, mail, envelopes):
    """A name or subject carrying CR/LF (say, from the accounting system) is put on one
    line: the message is delivered, to its one recipient, with no extra header."""
    with tenant_scope(tenant("kuzniki")):
        queue_email("test", "jan@example.com", "Jan\r\nBcc: thief@evil.example",
                    "Zawiadomienie\r\nX-Injected: yes", "Treść wiadomości.")
        db.session.commit()
        mail.wait_for(1, timeout=3)
        rows = list(db.session.scalars(select(OutboxMessage)))
    assert len(rows) == 1 and rows[0].state == "sent"
    assert len(mail.messages) == 1
    assert_clean(mail.messages[0], "jan@example.com")
    assert mail.messages[0]["Subject"] == "Zawiadomienie X-Injected: yes"
    assert envelopes == [["jan@example.com"]]
