"""What waits at the meter readings desk (the staff start page's queue)."""

from flask_babel import lazy_gettext as _l

from iok_saas.modules.portal.queues import submissions

from .services import SUBMISSIONS


def work_queues() -> list:
    return submissions(SUBMISSIONS, tab="meter_submission", handled_by="meter_readings",
                       label=_l("Odczyty wodomierzy do przyjęcia"),
                       endpoint="meters_staff.readings")
