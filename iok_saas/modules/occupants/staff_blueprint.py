"""Staff desk of the occupants feature (/staff/…): routes only."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from iok_saas.modules.auth.guards import current_staff, staff_required
from iok_saas.modules.portal import desk_guard

from . import services
from .forms import DecisionForm

bp = Blueprint("occupants_staff", __name__, template_folder="templates")
bp.before_request(staff_required)
bp.before_request(desk_guard("occupants"))

DECIDED_VIEW = "rozpatrzone"


@bp.context_processor
def _vocabulary() -> dict:
    return {"state_label": services.state_label}


@bp.get("/")
def index():
    decided_view = request.args.get("widok") == DECIDED_VIEW
    rows = services.decided() if decided_view else services.waiting()
    return render_template("occupants/staff_index.html", rows=rows, decided_view=decided_view,
                           decided_param=DECIDED_VIEW,
                           department=services.handling_department())


@bp.route("/<int:change_id>", methods=["GET", "POST"])
def change(change_id: int):
    row = services.staff_change_or_404(change_id)
    form = DecisionForm()
    if form.validate_on_submit() and (form.confirm.data or form.reject.data):
        try:
            services.decide(row, bool(form.confirm.data), form.comment.data,
                            f"staff:{current_staff().login}")
        except services.OccupantsError as exc:
            if exc.field == "comment":
                form.comment.errors.append(exc.message)
            else:
                flash(exc.message, "error")
        else:
            flash(_("Deklaracja potwierdzona.") if form.confirm.data
                  else _("Deklaracja odrzucona."), "success")
            return redirect(url_for("occupants_staff.index"))
    return render_template("occupants/staff_change.html", row=row, form=form,
                           history=services.declarations(row.unit),
                           department=services.handling_department())
