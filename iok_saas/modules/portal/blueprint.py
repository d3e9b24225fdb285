"""The flat switcher's one route: remember the chosen flat, back to the page."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for

from iok_saas.modules.auth.guards import resident_required

from .access import forget_unit, remember_unit
from .switcher import HOME, UnitSwitchForm, back_endpoint
from .tabs import resident_tabs

bp = Blueprint("portal", __name__, template_folder="templates")


@bp.post("/lokal")
@resident_required
def switch_unit():
    """Only one of the resident's own flats can be chosen: any other id is a 404; no id
    is "all flats"."""
    form = UnitSwitchForm()
    if not form.validate_on_submit():
        return redirect(url_for(resident_tabs()[HOME].endpoint))
    if form.unit.data is None:
        forget_unit()
    else:
        remember_unit(form.unit.data)
    return redirect(url_for(back_endpoint(form.back.data, None)))
