"""Applications waiting for the office (the staff start page's queues): one queue per step
of the tenant's procedure that staff act on, plus revocations where residents may apply."""

from flask_babel import lazy_gettext as _l

from iok_saas.modules.portal.queues import waiting
from iok_saas.tenancy import current_tenant

from . import services
from .models import REVOCATION_REVIEW, Application

# Steps in which the application waits for staff, and the queue's name.
STAFF_STEPS = {
    "staff_review": _l("Wnioski o dostęp do rozpatrzenia"),
    "schedule_pickup": _l("Odbiory danych dostępowych do umówienia"),
    "in_person_pickup": _l("Dane dostępowe do wydania przy odbiorze"),
    REVOCATION_REVIEW: _l("Wnioski o rezygnację do rozpatrzenia"),
}


def work_queues() -> list:
    policy = current_tenant.policy
    steps = [step for step in STAFF_STEPS if step in policy.enrolment.steps]
    if policy.revocation.residents_may_apply:
        steps.append(REVOCATION_REVIEW)
    return [waiting(Application, Application.state_changed_at, Application.state == step,
                    label=STAFF_STEPS[step], endpoint="enrolment_staff.queue",
                    department=services.department_for(step), args={"stan": step})
            for step in steps]
