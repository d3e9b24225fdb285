"""Delivering outbox rows: claim a batch, send each, mark each — idempotently.

A batch of rows is claimed with a short lease in one statement before sending, so two
workers never send a row at once; the rows go out one after another over the process's kept
SMTP connection, and they are marked sent a few at a time (at most MARK_EVERY messages or
MARK_SECONDS after the server accepted them, one commit for the group). A worker that dies
before that commit leaves the lease to expire and the sweeper sends those rows again with
the same Message-IDs (the delivery keys), which receiving servers use to drop the copies.
While a long batch is under way its lease is extended, so that a slow server never lets the
sweeper hand the rest of the batch to a second worker.
"""

from __future__ import annotations

import smtplib
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import timedelta
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from itertools import islice

from flask import current_app
from sqlalchemy import or_, select, text, update
from sqlalchemy.orm import Session, selectinload

from iok_saas.extensions import db
from iok_saas.tenancy import TenantSnapshot, cross_tenant, directory, tenant_scope
from iok_saas.timeutil import utcnow

from .models import FAILED, PENDING, SENDING, SENT, OutboxMessage
from .transports import configured_transport

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=2)
# Accepted messages are marked sent in groups: one commit per message cost a quarter of the
# batch's time. A crash re-sends at most this many, each with its own Message-ID.
MARK_EVERY = 10
MARK_SECONDS = 0.2

# Bodies in quoted-printable: Polish text stays mostly readable in the raw message.
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … capped at 2 h."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def deliver(message_id: int, tenant_id: int) -> str:
    """Send one message; returns sent | retry | failed | skipped (someone else has it)."""
    outcomes = deliver_batch([message_id], tenant_id)
    return next(outcome for outcome, count in outcomes.items() if count)


def deliver_batch(message_ids: list[int], tenant_id: int) -> Counter:
    """Send the due ones of ``message_ids`` (one tenant's); counts sent | retry | failed |
    skipped (not due, or another worker has it)."""
    outcomes: Counter = Counter()
    tenant = directory().get(tenant_id)
    if tenant is None:
        outcomes["skipped"] = len(message_ids)
        return outcomes
    lease = timedelta(seconds=current_app.config["IOK_OUTBOX_LEASE_SECONDS"])
    # The claim, the groups of sent marks and each failure commit on their own; the
    # loaded rows stay usable across those commits.
    with tenant_scope(tenant), Session(db.engine, expire_on_commit=False) as session:
        messages = _claim(session, message_ids, lease)
        outcomes["skipped"] = len(message_ids) - len(messages)
        lease_until = utcnow() + lease
        transport = configured_transport()
        accepted: list[int] = []  # sent, not yet marked
        marked_at = time.monotonic()
        for position, message in enumerate(messages):
            if utcnow() > lease_until - lease / 2:
                lease_until = _extend_lease(session, messages[position:], lease)
            try:
                transport.send(build_email(message, tenant))
            except (OSError, ValueError) as exc:  # smtplib errors are OSErrors
                _mark_sent(session, accepted)
                # The server refused this message: try the next one. No server to talk to:
                # every other row of the batch would wait for the same timeout, so they
                # all go back to the queue now, with this failure as their attempt's.
                failing = [message] if _refused_message(exc) else messages[position:]
                for unsent in failing:
                    outcomes[_failed_attempt(session, unsent, exc)] += 1
                if len(failing) > 1:
                    break
                continue
            accepted.append(message.id)
            outcomes["sent"] += 1
            if len(accepted) >= MARK_EVERY or time.monotonic() - marked_at > MARK_SECONDS:
                _mark_sent(session, accepted)
                marked_at = time.monotonic()
        _mark_sent(session, accepted)
    return outcomes


def _refused_message(exc: Exception) -> bool:
    """An answer about this message (a bad address, a rejected content), as opposed to no
    usable server."""
    return isinstance(exc, (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused,
                            ValueError)) and not isinstance(exc, smtplib.SMTPServerDisconnected)


def batches(rows: Iterable[tuple[int, int]], size: int) -> Iterator[tuple[list[int], int]]:
    """(message ids, tenant id) in batches of at most ``size`` rows of one tenant."""
    by_tenant: dict[int, list[int]] = {}
    for message_id, tenant_id in rows:
        by_tenant.setdefault(tenant_id, []).append(message_id)
    for tenant_id, ids in by_tenant.items():
        iterator = iter(ids)
        while batch := list(islice(iterator, size)):
            yield batch, tenant_id


def _claim(session: Session, message_ids: list[int], lease: timedelta) -> list[OutboxMessage]:
    now = utcnow()
    claimed = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), or_(
            (OutboxMessage.state == PENDING) & (OutboxMessage.next_attempt_at <= now),
            (OutboxMessage.state == SENDING) & (OutboxMessage.lease_until < now)))
        .values(state=SENDING, lease_until=now + lease, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id),
        execution_options={"synchronize_session": False}).all()
    session.commit()
    if not claimed:
        return []
    # The attachments (a notice's PDF) in one more query, not one per message.
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(claimed))
                                .options(selectinload(OutboxMessage.attachments))
                                .order_by(OutboxMessage.id)))


def _extend_lease(session: Session, remaining: list[OutboxMessage], lease: timedelta):
    until = utcnow() + lease
    session.execute(update(OutboxMessage)
                    .where(OutboxMessage.id.in_([m.id for m in remaining]),
                           OutboxMessage.state == SENDING)
                    .values(lease_until=until),
                    execution_options={"synchronize_session": False})
    session.commit()
    return until


def _mark_sent(session: Session, accepted: list[int]) -> None:
    """Mark (and forget) the rows the server accepted since the last call, in one commit."""
    if not accepted:
        return
    if session.get_bind().dialect.name == "postgresql":
        # The commit need not wait for the disk: if the database server itself crashes in
        # the next fraction of a second, the rows are sent again with the same Message-IDs,
        # exactly as if the worker had died before committing.
        session.execute(text("SET LOCAL synchronous_commit = off"))
    session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(accepted))
                    .values(state=SENT, sent_at=utcnow(), lease_until=None),
                    execution_options={"synchronize_session": False})
    session.commit()
    accepted.clear()


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


def build_email(message: OutboxMessage, tenant: TenantSnapshot) -> Message:
    """The e-mail of one outbox row: plain text and HTML alternatives, UTF-8.

    Built with the classic (compat32) MIME classes: the header-parsing EmailMessage API
    costs three times as much CPU per message, which is a third of a worker's time when it
    sends thousands in a row.
    """
    config = current_app.config
    email = MIMEMultipart("alternative")
    email["From"] = formataddr((tenant.short_name, config["IOK_MAIL_FROM"]), charset="utf-8")
    contact = (tenant.info("contact") or {}).get("email")
    if contact:
        email["Reply-To"] = formataddr((tenant.short_name, contact), charset="utf-8")
    # A name or subject with a line break (say, imported from the accounting system) is put
    # on one line: the message still goes out, and a header can never be split in two.
    email["To"] = formataddr((_one_line(message.to_name), message.to_address),
                             charset="utf-8")
    email["Subject"] = Header(_one_line(message.subject), "utf-8")
    email["Message-ID"] = f"<{message.delivery_key}@{config['IOK_MAIL_DOMAIN']}>"
    email["Date"] = format_datetime(utcnow())
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(message.text_body, "plain", _UTF8_QP))
    body.attach(MIMEText(message.html_body, "html", _UTF8_QP))
    if message.attachments:
        # A notice's PDF rides along: the text and HTML stay one alternative part.
        email.set_type("multipart/mixed")
        email.attach(body)
        for attachment in message.attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            part = MIMEApplication(attachment.content, _subtype=subtype) \
                if maintype == "application" else MIMEBase(maintype, subtype)
            part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
            email.attach(part)
    else:
        email.set_payload(body.get_payload())
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
