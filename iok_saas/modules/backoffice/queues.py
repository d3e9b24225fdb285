"""Tasks the platform queued for the office (calls to residents without e-mail and the
like), one queue per department that has any (the staff start page's queues)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.notifications.models import StaffTask
from iok_saas.modules.portal.queues import waiting

OPEN = StaffTask.done_at.is_(None)


def work_queues() -> list:
    departments = db.session.scalars(select(StaffTask.department).where(OPEN).distinct())
    return [waiting(StaffTask, StaffTask.created_at, OPEN, StaffTask.department == department,
                    label=_l("Zadania biura (telefony do mieszkańców)"),
                    endpoint="backoffice.tasks", department=department,
                    args={"dzial": department})
            for department in sorted(departments)]
