"""The transactional outbox: a notification is a row written with the change; it is sent
after commit through a real SMTP server; failures retry with backoff; nothing is lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from iok_saas.extensions import db
from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.notifications import delivery
from iok_saas.modules.notifications.models import OutboxMessage, StaffTask
from iok_saas.modules.notifications.tasks import sweep_outbox
from iok_saas.modules.staff.models import StaffMember
from iok_saas.tenancy import cross_tenant, tenant_scope
from iok_saas.timeutil import utcnow

from ..factories import resident, tenant
from ..mailserver import MailServer

pytestmark = pytest.mark.usefixtures("ctx")


def block_resident(slug, account_id, department):
    with tenant_scope(tenant(slug)):
        staff = StaffMember(login=f"s{account_id}", full_name="S", department=department,
                            password_hash="x", must_change_password=False)
        db.session.add(staff)
        db.session.commit()
        accounts.block(accounts.get_account(account_id), "misuse", "phone", "nadużycie", staff)
        db.session.commit()


def outbox_rows():
    with cross_tenant("test: read the outbox"):
        return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_a_block_sends_one_branded_email_after_commit(synced, mail):
    account_id = resident("kuzniki", "Ewa", "Sadowska")
    block_resident("kuzniki", account_id, "board")
    [message] = mail.wait_for(1)
    assert message["Subject"] == "[SM „Kuźniki”] Twoje konto zostało zablokowane"
    assert "Ewa Sadowska" in message["To"]
    assert message["Reply-To"].addresses[0].addr_spec == "sekretariat@smkuzniki.pl"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Powód: nadużycie." in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "#7b2d26" in html  # the tenant's colour
    [row] = outbox_rows()
    assert row.state == "sent"
    assert message["Message-ID"] == f"<{row.delivery_key}@iok.localhost>"


def test_a_rolled_back_change_sends_nothing(synced, mail):
    account_id = resident("kuzniki")
    with tenant_scope(tenant("kuzniki")):
        account = accounts.get_account(account_id)
        accounts._notify(account, "account_blocked", reason="x")
        db.session.rollback()
    assert outbox_rows() == []
    assert mail.wait_for(1, timeout=1) == []


def test_smtp_down_then_retried_with_backoff_and_delivered_once(synced, app):
    server = MailServer()  # not started yet: the port refuses connections
    app.config.update(server.config())
    account_id = resident("kuzniki")
    block_resident("kuzniki", account_id, "board")
    [row] = outbox_rows()
    assert (row.state, row.attempts) == ("pending", 1)
    assert "Connection refused" in row.last_error or "Errno" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(seconds=20)
    server.start()
    try:
        assert sweep_outbox() == 0  # not due yet: backoff
        with cross_tenant("test: make the retry due"):
            db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
            db.session.commit()
        assert sweep_outbox() == 1
        assert len(server.wait_for(1)) == 1
        assert sweep_outbox() == 0
        db.session.expire_all()
        assert outbox_rows()[0].state == "sent"
    finally:
        server.stop()


def test_a_row_claimed_by_another_worker_is_not_sent_twice(synced, mail, app):
    app.config["IOK_MAIL_TRANSPORT"] = "file"  # queue without sending
    account_id = resident("kuzniki")
    block_resident("kuzniki", account_id, "board")
    app.config.update(mail.config())
    [row] = outbox_rows()
    row_id, tenant_id = row.id, row.tenant_id
    with cross_tenant("test: pretend another worker holds the lease"):
        db.session.execute(update(OutboxMessage).values(
            state="sending", lease_until=utcnow() + timedelta(minutes=1)))
        db.session.commit()
    assert delivery.deliver(row_id, tenant_id) == "skipped"
    with cross_tenant("test: the other worker died; its lease ran out"):
        db.session.execute(update(OutboxMessage).values(lease_until=utcnow() - timedelta(1)))
        db.session.commit()
    assert delivery.deliver(row_id, tenant_id) == "sent"
    assert delivery.deliver(row_id, tenant_id) == "skipped"
    assert len(mail.wait_for(1)) == 1


def test_no_email_address_means_a_phone_task_where_the_policy_says_so(synced, mail):
    with tenant_scope(tenant("siarkowiec")):
        fallback = tenant("siarkowiec").policy.notifications.phone_fallback
    assert fallback, "Siarkowiec notifies by e-mail or phone"
    account_id = resident("siarkowiec", "Jerzy", "Bez-Maila")
    with tenant_scope(tenant("siarkowiec")):
        account = accounts.get_account(account_id)
        account.person.email = None
        account.person.phone = "600 100 200"
        db.session.commit()
    block_resident("siarkowiec", account_id, "technical")
    with tenant_scope(tenant("siarkowiec")):
        [task] = db.session.scalars(select(StaffTask)).all()
    assert task.department == fallback and task.phone == "600 100 200"
    assert "Jerzy Bez-Maila" in task.title
    assert outbox_rows() == []


def test_the_demo_outbox_shows_mail_with_clickable_links(synced, host_client, app):
    from ..factories import operator, sign_in_operator

    account_id = resident("kuzniki")
    block_resident("kuzniki", account_id, "board")
    operator()
    console = host_client("admin.localhost")
    sign_in_operator(console)
    page = console.get("/operator/poczta/").get_data(as_text=True)
    assert "Twoje konto zostało zablokowane" in page
    assert host_client("kuzniki.localhost").get("/operator/poczta/").status_code == 404
