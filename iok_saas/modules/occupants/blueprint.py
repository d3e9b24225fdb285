"""Resident pages of the occupants feature: routes only (logic in services.py)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from iok_saas.modules.portal import remember_unit, shown_units, tab_required

from . import services
from .forms import DeclarationForm, WithdrawForm

bp = Blueprint("occupants", __name__, template_folder="templates")


@bp.context_processor
def _vocabulary() -> dict:
    return {"state_label": services.state_label}


@bp.route("/", methods=["GET", "POST"])
@tab_required("occupants")
def index():
    units = shown_units()
    form = DeclarationForm()
    # A unit with a declaration waiting takes no new one (it is shown, with its withdrawal):
    # the form is offered, for the other units, while some unit has none.
    open_units = [unit for unit in units if services.pending_of(unit.id) is None]
    form.unit.choices = [SelectChoice(unit.id, unit.label) for unit in open_units]
    form.effective_from.choices = [SelectChoice(day.isoformat(), services.month_label(day))
                                   for day in services.effective_months()]
    chosen = _chosen_unit(units)
    if request.method == "GET":
        if chosen in open_units:
            form.unit.data = chosen.id
        if not form.effective_from.data:
            form.effective_from.data = services.effective_months()[1].isoformat()
    if form.validate_on_submit() and chosen is not None:
        try:
            services.declare(current_user, chosen, form.occupants.data,
                             _first_day(form.effective_from.data), form.note.data)
        except services.OccupantsError as exc:
            getattr(form, exc.field or "occupants").errors.append(exc.message)
        else:
            flash(_("Deklaracja została złożona. Spółdzielnia ją sprawdzi; decyzję zobaczysz "
                    "na tej stronie."), "success")
            return redirect(url_for("occupants.index"))
    overview = [(unit, services.in_force(unit.id), services.upcoming(unit.id),
                 services.pending_of(unit.id), services.declarations(unit)) for unit in units]
    return render_template("occupants/index.html", form=form, overview=overview,
                           open_units=open_units, withdraw_form=WithdrawForm(),
                           department=services.handling_department())


@bp.post("/<int:change_id>/wycofaj")
@tab_required("occupants")
def withdraw(change_id: int):
    if WithdrawForm().validate_on_submit():
        try:
            services.withdraw(current_user, change_id)
        except services.OccupantsError as exc:
            flash(exc.message, "error")
        else:
            flash(_("Deklaracja została wycofana. Możesz złożyć nową."), "success")
    return redirect(url_for("occupants.index"))


def _chosen_unit(units):
    """The unit named by the form (POST) or ``?lokal=`` (GET), which becomes the chosen
    flat; not the resident's: 404. Nothing named: the chosen flat."""
    raw = request.form.get("unit") if request.method == "POST" else request.args.get("lokal")
    if raw in (None, ""):
        return units[0] if len(units) == 1 else None
    try:
        return remember_unit(int(raw))
    except ValueError:
        abort(404)


def _first_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
