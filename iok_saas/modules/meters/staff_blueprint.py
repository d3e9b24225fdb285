"""Staff desk of the meters feature (/staff/odczyty/…): the shared desk, configured."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from iok_saas.modules.portal.desk import Desk

from . import services
from .forms import DecisionForm

DESK = Desk(
    name="meters_staff", tab="meter_submission", item="reading",
    index_endpoint="readings", detail_endpoint="reading", id_param="reading_id",
    index_template="meters/staff_readings.html", detail_template="meters/staff_reading.html",
    form=DecisionForm, accept="accept",
    submissions=services.SUBMISSIONS, decide=services.decide,
    department=services.handling_department,
    accepted_message=_l("Odczyt przyjęty."), rejected_message=_l("Odczyt odrzucony."),
    vocabulary={"m3": services.m3, "kind_label": services.kind_label,
                "state_label": services.state_label, "source_labels": services.SOURCE_LABELS},
    details=lambda row: {"history": services.history(row.meter),
                         "chart": services.chart(row.meter)},
)

bp = DESK.blueprint(__name__)
