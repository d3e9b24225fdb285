"""Imports refused in the last week: the office sends a corrected file (the staff start
page's queue)."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from iok_saas.modules.portal.queues import waiting
from iok_saas.timeutil import utcnow

from .models import REJECTED, ImportRun

RECENT = timedelta(days=7)


def work_queues() -> list:
    return [waiting(ImportRun, ImportRun.created_at, ImportRun.status == REJECTED,
                    ImportRun.created_at >= utcnow() - RECENT,
                    label=_l("Odrzucone importy (ostatnie 7 dni)"),
                    endpoint="imports_staff.index")]
