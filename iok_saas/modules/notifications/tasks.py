from __future__ import annotations

from celery import shared_task

from . import delivery


@shared_task(name="notifications.deliver", ignore_result=True)
def deliver_message(message_id: int, tenant_id: int) -> str:
    return delivery.deliver(message_id, tenant_id)


@shared_task(name="notifications.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    """Beat, every 30 s: send what a lost publish, a dead worker or a failure left behind."""
    due = delivery.due_messages()
    for message_id, tenant_id in due:
        deliver_message.delay(message_id, tenant_id)
    return len(due)
