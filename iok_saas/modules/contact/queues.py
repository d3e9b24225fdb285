"""What waits at the contact data corrections desk (the staff start page's queue)."""

from flask_babel import lazy_gettext as _l

from iok_saas.modules.portal.queues import submissions

from .services import SUBMISSIONS


def work_queues() -> list:
    return submissions(SUBMISSIONS, tab="contact", handled_by="contact_corrections",
                       label=_l("Prośby o korektę danych kontaktowych"),
                       endpoint="contact_staff.index")
