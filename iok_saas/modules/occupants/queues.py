"""What waits at the occupant declarations desk (the staff start page's queue)."""

from flask_babel import lazy_gettext as _l

from iok_saas.modules.portal.queues import submissions

from .services import SUBMISSIONS


def work_queues() -> list:
    return submissions(SUBMISSIONS, tab="occupants", handled_by="occupant_changes",
                       label=_l("Deklaracje liczby osób do potwierdzenia"),
                       endpoint="occupants_staff.index")
