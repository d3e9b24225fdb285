"""Document notices: beat runs ``send_due`` for every tenant; staff who publish at once
also enqueue it right after their commit."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from iok_saas.extensions import db
from iok_saas.tenancy import directory, tenant_scope

from . import services


@shared_task(name="documents.send_due", ignore_result=True)
def send_due(tenant_id: int | None = None) -> int:
    """Queue the notices of every due document (one tenant's, or every tenant's)."""
    queued = 0
    for tenant in directory().all():
        if tenant_id is not None and tenant.id != tenant_id:
            continue
        if tenant.suspended or tenant.policy is None or not tenant.policy.shows("documents"):
            continue
        with tenant_scope(tenant):
            try:
                queued += services.send_due_notices()
                db.session.commit()  # each tenant is its own unit of work
            except Exception:  # one tenant's failure must not stop the others
                db.session.rollback()
                current_app.logger.exception("document notices failed for %s", tenant.slug)
    return queued


def enqueue_notices(tenant_id: int) -> None:
    """Ask the worker to send due notices (in-process without a broker); beat catches up."""
    try:
        send_due.delay(tenant_id)
    except Exception as exc:  # noqa: BLE001 - the scheduled run of the same task catches up
        current_app.logger.warning("document notices not handed to the broker (%s); the "
                                   "next scheduled run will send them", exc)
