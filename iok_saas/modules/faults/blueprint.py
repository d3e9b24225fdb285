"""Resident pages of the faults feature: routes only (logic in services.py)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from iok_saas.modules.portal import chosen_unit, resident_units, shown_units, tab_required

from . import services
from .forms import FaultForm

bp = Blueprint("faults", __name__, template_folder="templates")


@bp.context_processor
def _vocabulary() -> dict:
    return {"category_labels": services.CATEGORIES, "place_labels": services.PLACE_LABELS,
            "status_labels": services.STATUS_LABELS}


@bp.get("/")
@tab_required("faults")
def index():
    units = shown_units()
    reports = services.resident_reports(current_user, units)
    return render_template("faults/index.html", reports=reports, units=units,
                           unit_by_id={unit.id: unit for unit in units})


@bp.route("/nowe", methods=["GET", "POST"])
@tab_required("faults")
def new():
    units = resident_units()
    form = FaultForm()
    form.unit_id.choices = [SelectChoice(unit.id, unit.label) for unit in units]
    chosen = chosen_unit()
    if not form.is_submitted() and chosen is not None:
        form.unit_id.data = chosen.id
    photo_error = None
    if units and form.validate_on_submit():
        unit = next((u for u in units if u.id == form.unit_id.data), None)
        if unit is None:
            abort(404)
        try:
            upload = form.photo.data
            photo = services.read_photo(upload.stream) if upload and upload.filename else None
            report = services.file_report(current_user, unit, form.category.data,
                                          form.place.data, form.description.data, photo)
        except services.FaultError as exc:
            photo_error = exc.message
        else:
            flash(_("Zgłoszenie nr %(number)s zostało przyjęte.", number=report.id), "success")
            return redirect(url_for("faults.show", fault_id=report.id))
    status = 422 if form.is_submitted() else 200
    return render_template("faults/new.html", form=form, units=units,
                           photo_error=photo_error), status


@bp.get("/<int:fault_id>")
@tab_required("faults")
def show(fault_id: int):
    units = resident_units()
    report = services.resident_report(current_user, units, fault_id)
    if report is None:
        abort(404)
    unit = next(u for u in units if u.id == report.unit_id)
    return render_template("faults/show.html", report=report, unit=unit)


@bp.get("/<int:fault_id>/zdjecie")
@tab_required("faults")
def photo(fault_id: int):
    report = services.resident_report(current_user, resident_units(), fault_id)
    if report is None or report.photo is None:
        abort(404)
    return photo_response(report)


def photo_response(report):
    """The stored photo, inline, with the content type checked when it was uploaded."""
    photo = report.photo
    extension = services.PHOTO_EXTENSIONS.get(photo.content_type, "bin")
    response = make_response(photo.data)
    response.headers["Content-Type"] = photo.content_type
    response.headers["Content-Disposition"] = \
        f'inline; filename="usterka-{report.id}.{extension}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
