"""Voting's scheduled work: close ended votes, e-mail reminders before the close."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from iok_saas.extensions import db
from iok_saas.tenancy import directory, tenant_scope

from . import services


def _each_tenant(work, label: str) -> int:
    done = 0
    for tenant in directory().all():
        if tenant.suspended or tenant.policy is None or not tenant.policy.shows("voting"):
            continue
        with tenant_scope(tenant):
            try:
                done += work()
                db.session.commit()  # each tenant is its own unit of work
            except Exception:  # one tenant's failure must not stop the others
                db.session.rollback()
                current_app.logger.exception("voting %s failed for %s", label, tenant.slug)
    return done


@shared_task(name="voting.close_due", ignore_result=True)
def close_due() -> int:
    return _each_tenant(services.close_due, "closing")


@shared_task(name="voting.send_reminders", ignore_result=True)
def send_reminders() -> int:
    return _each_tenant(services.send_reminders, "reminders")
