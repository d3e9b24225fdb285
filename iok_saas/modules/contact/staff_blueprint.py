"""Staff desk of the contact feature (/staff/korekty-danych/…): the shared desk, configured.

Everyone on the staff may look at the requests; only the department the policy names
(``handled_by.contact_corrections``; any staff member when it names none) decides.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from iok_saas.modules.portal.desk import Desk

from . import services
from .forms import DecisionForm

DESK = Desk(
    name="contact_staff", tab="contact", item="correction",
    index_endpoint="index", detail_endpoint="correction", id_param="correction_id",
    index_template="contact/staff_index.html", detail_template="contact/staff_correction.html",
    form=DecisionForm, accept="apply",
    submissions=services.SUBMISSIONS, decide=services.decide,
    department=services.handling_department, may_decide=services.may_decide,
    accepted_message=_l("Prośba załatwiona; mieszkaniec otrzyma powiadomienie."),
    rejected_message=_l("Prośba została odrzucona; mieszkaniec otrzyma powiadomienie."),
    vocabulary={"state_label": services.state_label, "field_labels": services.FIELD_LABELS},
)

bp = DESK.blueprint(__name__)
