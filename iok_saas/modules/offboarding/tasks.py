"""Beat purges, once an hour, the tenants whose deletion date has passed."""

from __future__ import annotations

import logging

from celery import shared_task

from iok_saas.extensions import db
from iok_saas.modules.audit.services import Actor

from . import services

log = logging.getLogger(__name__)


@shared_task(name="offboarding.purge_due", ignore_result=True)
def purge_due() -> int:
    """Purge each due tenant in its own transaction (one failure leaves the others)."""
    purged = 0
    for tenant in services.due_for_purge():
        slug = tenant.slug            # read now: a rollback expires the row
        try:
            services.purge_tenant(tenant, Actor.cli("celery:offboarding"))
            db.session.commit()
            purged += 1
        except Exception:
            db.session.rollback()
            log.exception("purging tenant %s failed; the others go on", slug)
    return purged
