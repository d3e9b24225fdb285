"""The staff start page's work queues: every feature says what waits at its desk
(``Feature.work_queues``); this module counts rows and orders the queues for one member."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.features import WorkQueue, features
from iok_saas.tenancy import current_tenant

from .desk import SUBMITTED, Submissions


def waiting(model, since, *where, label: Any, endpoint: str, department: str | None = None,
            args: Mapping[str, str] | None = None) -> WorkQueue:
    """A queue of the ``model`` rows matching ``where``, aged by the column ``since``."""
    count, oldest = db.session.execute(
        select(func.count(model.id), func.min(since)).where(*where)).one()
    return WorkQueue(label=label, count=count, oldest=oldest if count else None,
                     endpoint=endpoint, department=department, args=dict(args or {}))


def queues_for(member) -> list[WorkQueue]:
    """Every queue the tenant's policy enables: what the member's department decides first,
    then what waits longest; empty queues last."""
    queues = [queue for _feature, collect in features.each("work_queues")
              for queue in collect()]

    def rank(queue: WorkQueue) -> tuple:
        theirs = queue.department is not None and queue.department == member.department
        oldest = queue.oldest.timestamp() if queue.oldest else float("inf")
        return (queue.count == 0, not theirs, oldest, str(queue.label))

    return sorted(queues, key=rank)


def submissions(waiting_at_desk: Submissions, *, tab: str, handled_by: str, label: Any,
                endpoint: str) -> list[WorkQueue]:
    """The queue of a "resident submits, staff decides" desk, when the policy shows ``tab``;
    ``handled_by`` names the policy's ``handled_by`` entry for the deciding department."""
    policy = current_tenant.policy
    if not policy.shows(tab):
        return []
    model = waiting_at_desk.model
    return [waiting(model, model.created_at, model.state == SUBMITTED, *waiting_at_desk.where,
                    label=label, endpoint=endpoint,
                    department=getattr(policy.handled_by, handled_by))]
