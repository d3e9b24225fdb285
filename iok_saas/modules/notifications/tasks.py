from __future__ import annotations

from celery import shared_task
from celery.signals import worker_process_shutdown
from flask import current_app

from . import delivery
from .transports import close_connections


@shared_task(name="notifications.deliver", ignore_result=True)
def deliver_message(message_id: int, tenant_id: int) -> str:
    """One row (tasks queued before batching, and callers that have just one)."""
    return delivery.deliver(message_id, tenant_id)


@shared_task(name="notifications.deliver_batch", ignore_result=True)
def deliver_batch(message_ids: list[int], tenant_id: int) -> dict[str, int]:
    """Up to IOK_OUTBOX_BATCH_SIZE rows of one tenant over the process's SMTP connection."""
    return {outcome: count for outcome, count in
            sorted(delivery.deliver_batch(message_ids, tenant_id).items()) if count}


@shared_task(name="notifications.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    """Beat, every 30 s: send what a lost publish, a dead worker or a failure left behind."""
    due = delivery.due_messages()
    for message_ids, tenant_id in delivery.batches(due, current_app.config[
            "IOK_OUTBOX_BATCH_SIZE"]):
        deliver_batch.delay(message_ids, tenant_id)
    return len(due)


@worker_process_shutdown.connect
def _quit_smtp(**_kwargs) -> None:
    """A pool process that ends says QUIT instead of leaving the server a dead socket."""
    close_connections()
