"""Staff desk of the occupants feature (/staff/liczba-osob/…): the shared desk, configured."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from iok_saas.modules.portal.desk import Desk

from . import services
from .forms import DecisionForm

DESK = Desk(
    name="occupants_staff", tab="occupants", item="change",
    index_endpoint="index", detail_endpoint="change", id_param="change_id",
    index_template="occupants/staff_index.html", detail_template="occupants/staff_change.html",
    form=DecisionForm, accept="confirm",
    submissions=services.SUBMISSIONS, decide=services.decide,
    department=services.handling_department,
    accepted_message=_l("Deklaracja potwierdzona."),
    rejected_message=_l("Deklaracja odrzucona."),
    vocabulary={"state_label": services.state_label},
    details=lambda row: {"history": services.declarations(row.unit)},
)

bp = DESK.blueprint(__name__)
