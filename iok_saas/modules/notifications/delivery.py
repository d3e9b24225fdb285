"""Delivering one outbox row: claim it, send it, mark it — idempotently.

A row is claimed with a short lease before sending, so two workers never send it at once;
it is marked sent in its own commit right after the SMTP server accepted it. A worker that
dies before that commit leaves the lease to expire and the sweeper sends the row again with
the same Message-ID (the delivery key), which receiving servers use to drop the copy.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from iok_saas.extensions import db
from iok_saas.tenancy import TenantSnapshot, cross_tenant, directory, tenant_scope
from iok_saas.timeutil import utcnow

from .models import FAILED, PENDING, SENDING, SENT, OutboxMessage
from .transports import configured_transport

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=2)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … capped at 2 h."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def deliver(message_id: int, tenant_id: int) -> str:
    """Send one message; returns sent | retry | failed | skipped (someone else has it)."""
    tenant = directory().get(tenant_id)
    if tenant is None:
        return "skipped"
    with tenant_scope(tenant), Session(db.engine) as session:
        if not _claim(session, message_id):
            return "skipped"
        message = session.get(OutboxMessage, message_id)
        try:
            configured_transport().send(build_email(message, tenant))
        except (OSError, ValueError) as exc:  # smtplib errors are OSErrors
            return _failed_attempt(session, message, exc)
        message.state, message.sent_at, message.lease_until = SENT, utcnow(), None
        session.commit()
        return "sent"


def _claim(session: Session, message_id: int) -> bool:
    now = utcnow()
    lease = timedelta(seconds=current_app.config["IOK_OUTBOX_LEASE_SECONDS"])
    claimed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, or_(
            (OutboxMessage.state == PENDING) & (OutboxMessage.next_attempt_at <= now),
            (OutboxMessage.state == SENDING) & (OutboxMessage.lease_until < now)))
        .values(state=SENDING, lease_until=now + lease, attempts=OutboxMessage.attempts + 1),
        execution_options={"synchronize_session": False}).rowcount
    session.commit()
    return claimed == 1


def _failed_attempt(session: Session, message: OutboxMessage, exc: Exception) -> str:
    message.last_error = f"{type(exc).__name__}: {exc}"[:500]
    message.lease_until = None
    if message.attempts >= MAX_ATTEMPTS:
        message.state = FAILED
    else:
        message.state = PENDING
        message.next_attempt_at = utcnow() + backoff(message.attempts)
    session.commit()
    current_app.logger.warning("outbox %s attempt %s failed: %s", message.id, message.attempts,
                               message.last_error)
    return "failed" if message.state == FAILED else "retry"


def build_email(message: OutboxMessage, tenant: TenantSnapshot) -> EmailMessage:
    config = current_app.config
    email = EmailMessage()
    email["From"] = formataddr((tenant.short_name, config["IOK_MAIL_FROM"]))
    contact = (tenant.info("contact") or {}).get("email")
    if contact:
        email["Reply-To"] = formataddr((tenant.short_name, contact))
    # A name or subject with a line break (say, imported from the accounting system) is put
    # on one line: the message still goes out, and a header can never be split in two.
    email["To"] = formataddr((_one_line(message.to_name), message.to_address))
    email["Subject"] = _one_line(message.subject)
    email["Message-ID"] = f"<{message.delivery_key}@{config['IOK_MAIL_DOMAIN']}>"
    email["Date"] = format_datetime(utcnow())
    email.set_content(message.text_body)
    email.add_alternative(message.html_body, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(attachment.content, maintype=maintype, subtype=subtype,
                             filename=attachment.filename)
    return email


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def due_messages(limit: int = 500) -> list[tuple[int, int]]:
    """(id, tenant_id) of every row that should be (re)sent now, across tenants.

    A row never tried is left alone for a grace period: its own task is probably still in
    the queue, and sending it from here too would only make work for the claim to refuse.
    """
    now = utcnow()
    grace = timedelta(seconds=current_app.config["IOK_OUTBOX_SWEEP_GRACE_SECONDS"])
    retry_due = (OutboxMessage.attempts > 0) & (OutboxMessage.next_attempt_at <= now)
    forgotten = (OutboxMessage.attempts == 0) & (OutboxMessage.created_at <= now - grace)
    with cross_tenant("outbox sweeper lists due rows of every tenant"):
        rows = db.session.execute(
            select(OutboxMessage.id, OutboxMessage.tenant_id)
            .where(or_((OutboxMessage.state == PENDING) & or_(retry_due, forgotten),
                       (OutboxMessage.state == SENDING) & (OutboxMessage.lease_until < now)))
            .order_by(OutboxMessage.id).limit(limit)).all()
    return [(row.id, row.tenant_id) for row in rows]
