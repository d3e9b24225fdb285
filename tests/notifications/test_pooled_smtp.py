"""Many e-mails over one SMTP connection: the cap per connection, and a server that ends
the connection in the middle of a batch (every message still arrives exactly once)."""

from __future__ import annotations

import time
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.notifications import delivery
from iok_saas.modules.notifications.models import OutboxMessage
from iok_saas.modules.notifications.services import queue_email
from iok_saas.modules.notifications.transports import close_connections
from iok_saas.tenancy import cross_tenant, tenant_scope

from ..factories import tenant
from ..mailserver import MailServer

pytestmark = pytest.mark.usefixtures("ctx")


class _ConnectionCountingInbox:
    """Keeps each message with the connection it came on; after ``drop_after`` messages on
    one connection it ends that connection at the next MAIL, abruptly or with a 421."""

    def __init__(self, drop_after: int | None = None, how: str = "close"):
        self.drop_after, self.how = drop_after, how
        self.messages: list = []  # (connection number, message)
        self.per_connection: dict[int, int] = {}
        self._numbers: dict[int, int] = {}

    def _connection(self, session) -> int:
        return self._numbers.setdefault(id(session), len(self._numbers))

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        number = self._connection(session)
        if self.drop_after is not None and self.per_connection.get(number, 0) >= self.drop_after:
            if self.how == "close":
                server.transport.close()
                return "250 OK"  # never reaches the client: the socket is gone
            return "421 Too many messages on this connection, closing"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        number = self._connection(session)
        self.per_connection[number] = self.per_connection.get(number, 0) + 1
        self.messages.append((number, message_from_bytes(envelope.original_content,
                                                         policy=policy.default)))
        return "250 Message accepted for delivery"


@pytest.fixture
def server(app):
    servers = []

    def start(**inbox_options) -> _ConnectionCountingInbox:
        mail = MailServer()
        inbox = _ConnectionCountingInbox(**inbox_options)
        mail._controller.handler = inbox
        mail.start()
        servers.append(mail)
        app.config.update(mail.config())
        return inbox

    yield start
    close_connections()
    for mail in servers:
        mail.stop()


def queue_and_commit(count: int) -> list[str]:
    """``count`` e-mails in one transaction (one batch after commit); their Message-IDs."""
    with tenant_scope(tenant("kuzniki")):
        messages = [queue_email("account_blocked", f"r{i}@example.com", f"R {i}", "Temat",
                                "Treść\n") for i in range(count)]
        db.session.flush()
        keys = [f"<{m.delivery_key}@iok.localhost>" for m in messages]
        db.session.commit()
    return keys


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    with cross_tenant("test: read the outbox"):
        return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_one_connection_carries_many_messages_up_to_the_cap(synced, app, server):
    app.config["IOK_SMTP_MESSAGES_PER_CONNECTION"] = 4
    inbox = server()
    keys = queue_and_commit(10)
    assert sorted(m["Message-ID"] for _, m in inbox.messages) == sorted(keys)
    # 10 messages, at most 4 a connection: three connections, not ten
    assert sorted(inbox.per_connection.values()) == [2, 4, 4]
    assert {(row.state, row.attempts) for row in rows()} == {("sent", 1)}


@pytest.mark.parametrize("how", ["close", "421"])
def test_server_ending_the_connection_mid_batch_still_delivers_each_message_once(
        synced, app, server, how):
    inbox = server(drop_after=3, how=how)
    keys = queue_and_commit(10)
    received = [m["Message-ID"] for _, m in inbox.messages]
    assert sorted(received) == sorted(keys)  # none lost, none twice
    assert len(inbox.per_connection) == 4  # 3 + 3 + 3 + 1, each drop answered by a reconnect
    # A dropped connection is not the message's fault: no retry was recorded against it.
    assert {(row.state, row.attempts, row.last_error) for row in rows()} == {("sent", 1, None)}


def test_a_connection_kept_from_an_earlier_batch_is_reused(synced, app, server):
    inbox = server()
    first = queue_and_commit(3)
    second = queue_and_commit(3)
    assert sorted(m["Message-ID"] for _, m in inbox.messages) == sorted(first + second)
    assert inbox.per_connection == {0: 6}


def test_a_connection_dropped_while_idle_is_replaced_without_a_failure(synced, app, server):
    inbox = server(drop_after=2)
    first = queue_and_commit(2)
    second = queue_and_commit(2)  # the kept connection is closed at its first MAIL
    assert sorted(m["Message-ID"] for _, m in inbox.messages) == sorted(first + second)
    assert {(row.state, row.attempts) for row in rows()} == {("sent", 1)}


def test_no_server_fails_the_whole_batch_at_once_for_a_later_retry(synced, app):
    down = MailServer()  # never started: connections are refused
    app.config.update(down.config())
    queue_and_commit(5)
    found = rows()
    assert {(row.state, row.attempts) for row in found} == {("pending", 1)}
    assert all("refused" in row.last_error.lower() or "Errno" in row.last_error
               for row in found)


class _SlowInboxWatchingTheSweeper(_ConnectionCountingInbox):
    """Takes ``seconds`` per message and, at each one, asks what the sweeper would hand to
    another worker right now."""

    def __init__(self, app, seconds: float):
        super().__init__()
        self.app, self.seconds = app, seconds
        self.sweepable: list[int] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        time.sleep(self.seconds)  # a slow server, as seen by the client
        with self.app.app_context():
            self.sweepable.append(len(delivery.due_messages()))
        return await super().handle_DATA(server, session, envelope)


def test_a_batch_longer_than_its_lease_keeps_its_rows_from_the_sweeper(synced, app):
    app.config["IOK_OUTBOX_LEASE_SECONDS"] = 1
    mail = MailServer()
    inbox = _SlowInboxWatchingTheSweeper(app, seconds=0.35)
    mail._controller.handler = inbox
    mail.start()
    app.config.update(mail.config())
    try:
        keys = queue_and_commit(6)  # about 2 s of sending on a 1 s lease
    finally:
        close_connections()
        mail.stop()
    assert sorted(m["Message-ID"] for _, m in inbox.messages) == sorted(keys)
    assert inbox.sweepable == [0] * 6  # the lease was extended before it ran out
    assert {(row.state, row.attempts) for row in rows()} == {("sent", 1)}
