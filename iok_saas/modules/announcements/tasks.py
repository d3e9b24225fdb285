"""Announcement e-mails: beat runs ``send_due`` every minute for every tenant; staff who
publish with an immediate date also enqueue it right after their commit."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from iok_saas.extensions import db
from iok_saas.tenancy import directory, tenant_scope

from . import services


@shared_task(name="announcements.send_due", ignore_result=True)
def send_due(tenant_id: int | None = None) -> int:
    """Queue the e-mails of every due announcement (one tenant's, or every tenant's)."""
    queued = 0
    for tenant in directory().all():
        if tenant_id is not None and tenant.id != tenant_id:
            continue
        if tenant.suspended or tenant.policy is None \
                or not tenant.policy.shows("announcements"):
            continue
        with tenant_scope(tenant):
            try:
                queued += services.send_due_emails()
                db.session.commit()  # each tenant is its own unit of work
            except Exception:  # one tenant's failure must not stop the others
                db.session.rollback()
                current_app.logger.exception("announcement e-mails failed for %s", tenant.slug)
    return queued


def enqueue_sending(tenant_id: int) -> None:
    """Ask the worker to e-mail what is due now (eagerly, in-process, without a broker)."""
    try:
        send_due.delay(tenant_id)
    except Exception as exc:  # noqa: BLE001 - beat's run of the same task catches up
        current_app.logger.warning("announcement e-mails not handed to the broker (%s); "
                                   "the next scheduled run will send them", exc)
