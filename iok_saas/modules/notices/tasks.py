"""Rendering and e-mailing notices: one task renders a batch, queues its e-mails in the
outbox and sends them.

Staff publish a period; after that commit the deliveries go out in batches of
``services.SEND_BATCH`` (rendered together, see pdf.notices_pdfs). The task that rendered a
batch commits its outbox rows and then sends them itself over the process's kept SMTP
connection (the outbox's claim and lease, so exactly once): rendering and sending overlap
across the pool's processes, and the first e-mail leaves a second after publishing rather
than after every batch has been rendered. A batch lost between the commit and the broker is
picked up by ``send_pending`` on the beat; e-mails committed but not sent (the worker died)
by the outbox's sweeper."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from flask import current_app
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.notifications import delivery
from iok_saas.modules.notifications.services import take_dispatch
from iok_saas.tenancy import directory, tenant_scope
from iok_saas.timeutil import utcnow

from . import services
from .models import NoticeDelivery

PENDING_GRACE = timedelta(minutes=2)


@shared_task(name="notices.send", ignore_result=True)
def send_notices(tenant_id: int, delivery_ids: list[int]) -> int:
    tenant = directory().get(tenant_id)
    if tenant is None:
        return 0
    with tenant_scope(tenant):
        try:
            queued = services.send_deliveries(delivery_ids)
            message_ids = take_dispatch()
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    size = current_app.config["IOK_OUTBOX_BATCH_SIZE"]
    for batch, _tenant_id in delivery.batches(((m, tenant_id) for m in message_ids), size):
        delivery.deliver_batch(batch, tenant_id)
    return queued


def enqueue(tenant_id: int, delivery_ids: list[int]) -> None:
    """After the caller's commit: one task per batch (the broker down: the beat retries)."""
    for batch in services.batches(delivery_ids):
        try:
            send_notices.delay(tenant_id, batch)
        except Exception as exc:  # noqa: BLE001 - the rows are safe; send_pending finds them
            current_app.logger.warning("notice batch not handed to the broker (%s)", exc)


@shared_task(name="notices.send_pending", ignore_result=True)
def send_pending() -> int:
    """Beat: deliveries staged a while ago and still not queued (a lost batch)."""
    found = 0
    for tenant in directory().all():
        if tenant.suspended or tenant.policy is None \
                or not tenant.policy.shows("charge_notices"):
            continue
        with tenant_scope(tenant):
            ids = list(db.session.scalars(
                select(NoticeDelivery.id)
                .where(NoticeDelivery.outbox_message_id.is_(None),
                       NoticeDelivery.created_at <= utcnow() - PENDING_GRACE)
                .order_by(NoticeDelivery.notice_id, NoticeDelivery.id)))
            db.session.commit()
        found += len(ids)
        enqueue(tenant.id, ids)
    return found
