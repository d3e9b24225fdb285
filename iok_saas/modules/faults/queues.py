"""New fault reports nobody has taken up yet (the staff start page's queue)."""

from flask_babel import lazy_gettext as _l

from iok_saas.modules.portal.queues import waiting
from iok_saas.tenancy import current_tenant

from .models import NEW, FaultReport


def work_queues() -> list:
    policy = current_tenant.policy
    if not policy.shows("faults"):
        return []
    return [waiting(FaultReport, FaultReport.created_at, FaultReport.status == NEW,
                    label=_l("Nowe zgłoszenia usterek"), endpoint="faults_staff.index",
                    department=policy.handled_by.fault_reports, args={"stan": NEW})]
