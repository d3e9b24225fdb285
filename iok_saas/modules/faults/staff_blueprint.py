"""Staff desk of the faults feature (/staff/…): routes only."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from iok_saas.modules.auth.guards import current_staff, staff_required
from iok_saas.modules.portal import desk_guard

from . import services
from .blueprint import photo_response
from .forms import StaffUpdateForm
from .models import STATUSES

bp = Blueprint("faults_staff", __name__, template_folder="templates")
bp.before_request(staff_required)
bp.before_request(desk_guard("faults"))


@bp.context_processor
def _vocabulary() -> dict:
    return {"category_labels": services.CATEGORIES, "place_labels": services.PLACE_LABELS,
            "status_labels": services.STATUS_LABELS,
            "handled_by": services.handling_department()}


@bp.get("/")
def index():
    status = request.args.get("stan")
    status = status if status in STATUSES else None
    reports = services.staff_reports(status)
    return render_template("faults/staff_index.html", reports=reports, status=status,
                           counts=services.status_counts(),
                           units=services.units_by_id(reports))


@bp.route("/<int:fault_id>", methods=["GET", "POST"])
def detail(fault_id: int):
    report = services.get_report(fault_id)
    if report is None:
        abort(404)
    form = StaffUpdateForm()
    form.status.choices = [SelectChoice("", _("— bez zmiany stanu —"))] + [
        SelectChoice(key, services.status_label(key))
        for key in services.NEXT_STATUSES[report.status]]
    error = None
    if form.validate_on_submit():
        try:
            services.update_report(report, f"staff:{current_staff().login}",
                                   form.status.data, form.comment.data)
        except services.FaultError as exc:
            error = exc.message
        else:
            flash(_("Zapisano zmianę zgłoszenia nr %(number)s.", number=report.id), "success")
            return redirect(url_for("faults_staff.detail", fault_id=report.id))
    account = services.reporter(report)
    unit = services.units_by_id([report]).get(report.unit_id)
    status = 422 if form.is_submitted() else 200
    return render_template("faults/staff_detail.html", report=report, form=form, error=error,
                           account=account, unit=unit), status


@bp.get("/<int:fault_id>/zdjecie")
def photo(fault_id: int):
    report = services.get_report(fault_id)
    if report is None or report.photo is None:
        abort(404)
    return photo_response(report)
