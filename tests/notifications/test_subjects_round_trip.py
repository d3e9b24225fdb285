"""Every notification's subject arrives exactly as written, whatever its length: the header
is folded on the way (long Polish subjects are encoded words) and must unfold unchanged."""

from __future__ import annotations

import pytest

from iok_saas.modules.notifications.delivery import build_email
from iok_saas.modules.notifications.models import OutboxMessage
from iok_saas.modules.notifications.services import render_notification
from iok_saas.modules.notifications.transports import configured_transport
from iok_saas.policy import NOTIFICATIONS
from iok_saas.tenancy import tenant_scope

from .. import factories

pytestmark = pytest.mark.usefixtures("ctx")

POLISH = ("Wniosek o dostęp został przyjęty — żółta gęś i źrebię łączą się w ćmie "
          "nad Kuźnikami, a Spółdzielnia Mieszkaniowa „Zielone Wzgórza” odpowiada")
EXTRA_KINDS = ("password_reset_link", "unlock_link")


def subjects(tenant) -> list[str]:
    """The real subject of every notification, then Polish text of every length 1..120
    with the tenant's prefix, as render_notification would produce it."""
    context = {"to_name": "Irena Sowa", "number": "W/2026/0001", "when": "jutro 10:00",
               "place": "pokój 5", "link": "http://x/", "valid_until": "03.12.2026 12:00",
               "reason": "test", "new_credentials": False, "rules": [], "status": "x",
               "title": "Ogłoszenie", "decision": "accepted", "self_block_link": None,
               "report_channels": []}
    with tenant_scope(tenant):
        real = [render_notification(kind, **context)[0]
                for kind in (*NOTIFICATIONS, *EXTRA_KINDS)]
    prefix = f"[{tenant.short_name}] "
    return real + [prefix + POLISH[:n].strip() for n in range(1, len(POLISH) + 1)]


@pytest.mark.parametrize("slug", ["kuzniki", "zielone-wzgorza"])
def test_every_subject_survives_a_real_smtp_server(synced, app, mail, slug):
    tenant = factories.tenant(slug)
    sent = [s for s in subjects(tenant) if s.strip()]
    transport = configured_transport()
    for number, subject in enumerate(sent):
        message = OutboxMessage(delivery_key=f"k{number}", kind="test", to_address="a@b.pl",
                                to_name="Żaneta Ćwik-Łęcka z Gdańska i Świętochłowic",
                                subject=subject, text_body="x\n", html_body="<p>x</p>")
        transport.send(build_email(message, tenant))
    received = mail.wait_for(len(sent))
    assert [m["Subject"] for m in received] == sent


def test_every_subject_survives_the_demo_file_outbox(synced, app, tmp_path):
    from iok_saas.modules.notifications.outbox_view import stored_mails
    from iok_saas.modules.notifications.transports import FileTransport

    app.config["IOK_VAR_DIR"] = tmp_path
    tenant = factories.tenant("kuzniki")
    sent = [s for s in subjects(tenant) if s.strip()]
    transport = FileTransport(tmp_path / "outbox")
    for number, subject in enumerate(sent):
        message = OutboxMessage(delivery_key=f"f{number}", kind="test", to_address="a@b.pl",
                                to_name="Irena Sowa", subject=subject, text_body="x\n",
                                html_body="<p>x</p>")
        transport.send(build_email(message, tenant))
    assert sorted(mail.subject for mail in stored_mails()) == sorted(sent)
