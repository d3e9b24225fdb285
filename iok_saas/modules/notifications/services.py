"""Queueing notifications: render now, store in the caller's transaction, send after commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from iok_saas.extensions import db
from iok_saas.markup import plain_text_to_html
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import utcnow

from . import delivery
from .models import OutboxAttachment, OutboxMessage, StaffTask

_PENDING_DISPATCH = "iok_outbox_dispatch"


def notify(kind: str, *, to_email: str | None, to_name: str, phone: str | None = None,
           **context) -> OutboxMessage | StaffTask | None:
    """The policy's notification ``kind`` for one resident, if the tenant switched it on.

    No e-mail address: the policy's phone-fallback department gets a call task instead.
    """
    policy = current_tenant.policy
    if not policy.notifies(kind):
        return None
    subject, text = render_notification(kind, to_name=to_name, **context)
    if to_email:
        return queue_email(kind, to_email, to_name, subject, text)
    if policy.notifications.phone_fallback:
        task = StaffTask(department=policy.notifications.phone_fallback, kind=f"call:{kind}",
                         title=f"{to_name}: {subject}", details=text, phone=phone)
        db.session.add(task)
        return task
    return None


def render_notification(kind: str, **context) -> tuple[str, str]:
    """(subject, text) from templates/notifications/email/<kind>.txt, in the tenant's
    language; the template's first line is the subject."""
    with force_locale(current_tenant.locale):
        rendered = render_template(f"notifications/email/{kind}.txt", **context)
    subject, _, body = rendered.strip().partition("\n")
    return f"[{current_tenant.short_name}] {subject.strip()}", body.strip() + "\n"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "application/pdf"
    content: bytes


def queue_email(kind: str, to_email: str, to_name: str | None, subject: str,
                text: str, attachments: Sequence[Attachment] = ()) -> OutboxMessage:
    """An outbox row in the caller's transaction; it is sent after that transaction commits.

    ``attachments`` are stored with the row (so a retry sends the same bytes)."""
    with force_locale(current_tenant.locale):
        html = render_template("notifications/email/_layout.html", subject=subject,
                               body=plain_text_to_html(text))
    message = OutboxMessage(delivery_key=uuid.uuid4().hex, kind=kind, to_address=to_email,
                            to_name=to_name, subject=subject, text_body=text,
                            html_body=html)
    message.attachments = [OutboxAttachment(filename=a.filename, content_type=a.content_type,
                                            content=a.content) for a in attachments]
    db.session.add(message)
    return message


def take_dispatch() -> list[int]:
    """The outbox rows this transaction has added so far, taken off the dispatch after its
    commit: the caller sends them itself once it has committed (``delivery.deliver_batch``).

    For a worker that has just rendered a batch of messages (charge notices): sending them
    from the same process starts at once, where a task per batch would queue behind the
    other rendering tasks (measured: the first of 2 000 notices left after 42 s, all
    rendering first). A worker that dies between its commit and the sending leaves the
    rows to the sweeper, as a batch lost on its way to the broker would."""
    db.session.flush()
    taken = db.session.info.pop(_PENDING_DISPATCH, [])
    return [message_id for message_id, _tenant_id in taken]


@event.listens_for(Session, "after_flush")
def _remember_new_messages(session: Session, _flush_context) -> None:
    for obj in session.new:
        if isinstance(obj, OutboxMessage):
            session.info.setdefault(_PENDING_DISPATCH, []).append((obj.id, obj.tenant_id))


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    rows = session.info.pop(_PENDING_DISPATCH, [])
    if rows:
        size = current_app.config["IOK_OUTBOX_BATCH_SIZE"]
        for message_ids, tenant_id in delivery.batches(rows, size):
            _dispatch(message_ids, tenant_id)


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_PENDING_DISPATCH, None)


def _dispatch(message_ids: list[int], tenant_id: int) -> None:
    from .tasks import deliver_batch

    try:
        deliver_batch.delay(message_ids, tenant_id)
    except Exception as exc:  # noqa: BLE001 - the rows are safe; the sweeper will send them
        current_app.logger.warning("outbox %s not handed to the broker (%s); the sweeper "
                                   "will send them", message_ids, exc)


def open_tasks(department: str | None) -> list[StaffTask]:
    """Tasks not yet done, oldest first: one department's, or every one (department=None)."""
    query = select(StaffTask).where(StaffTask.done_at.is_(None)).order_by(StaffTask.id)
    if department is not None:
        query = query.where(StaffTask.department == department)
    return list(db.session.scalars(query))


def may_complete(task: StaffTask, staff) -> bool:
    return staff.is_admin or staff.department == task.department


def complete_task(task_id: int, staff) -> bool:
    """Mark a task done; only its department (or an administrator) may. False = not allowed
    or already done."""
    task = db.session.get(StaffTask, task_id)
    if task is None or task.done_at is not None or not may_complete(task, staff):
        return False
    task.done_at, task.done_by = utcnow(), f"staff:{staff.login}"
    return True
