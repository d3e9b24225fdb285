"""Staff desk of the meters feature (/staff/…): routes only."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from iok_saas.modules.auth.guards import current_staff, staff_required
from iok_saas.modules.portal import desk_guard

from . import services
from .forms import DecisionForm

bp = Blueprint("meters_staff", __name__, template_folder="templates")
bp.before_request(staff_required)
bp.before_request(desk_guard("meter_submission"))

DECIDED_VIEW = "rozpatrzone"


@bp.context_processor
def _vocabulary() -> dict:
    return {"m3": services.m3, "kind_label": services.kind_label,
            "state_label": services.state_label, "source_labels": services.SOURCE_LABELS}


@bp.get("/")
def readings():
    decided_view = request.args.get("widok") == DECIDED_VIEW
    rows = services.decided() if decided_view else services.waiting()
    return render_template("meters/staff_readings.html", rows=rows, decided_view=decided_view,
                           department=services.handling_department(),
                           decided_param=DECIDED_VIEW)


@bp.route("/<int:reading_id>", methods=["GET", "POST"])
def reading(reading_id: int):
    row = services.staff_reading_or_404(reading_id)
    form = DecisionForm()
    if form.validate_on_submit() and (form.accept.data or form.reject.data):
        member = current_staff()
        try:
            services.decide(row, bool(form.accept.data), form.comment.data,
                            f"staff:{member.login}")
        except services.ReadingError as exc:
            if exc.field == "comment":
                form.comment.errors.append(exc.message)
            else:
                flash(exc.message, "error")
        else:
            flash(_("Odczyt przyjęty.") if form.accept.data else _("Odczyt odrzucony."),
                  "success")
            return redirect(url_for("meters_staff.readings"))
    return render_template("meters/staff_reading.html", row=row, form=form,
                           history=services.history(row.meter),
                           chart=services.chart(row.meter),
                           department=services.handling_department())
