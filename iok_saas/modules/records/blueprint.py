"""Resident pages of the records feature (read-only imported data): routes only."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from iok_saas.modules.portal import shown_units, tab_required

from . import services

bp = Blueprint("records", __name__, template_folder="templates")


@bp.context_processor
def _helpers() -> dict:
    return {"nothing_recorded": services.nothing_recorded}


@bp.get("/czlonkostwo")
@tab_required("membership")
def membership():
    return render_template("records/membership.html",
                           memberships=services.memberships(current_user.person_id))


@bp.get("/sprawy-sadowe")
@tab_required("court_cases")
def court_cases():
    return render_template("records/court_cases.html",
                           groups=services.court_cases(shown_units()))


@bp.get("/koszty-gruntu")
@tab_required("land_costs")
def land_costs():
    return render_template("records/land_costs.html",
                           groups=services.land_costs(shown_units()))


@bp.get("/uslugi", endpoint="services")
@tab_required("services")
def services_page():
    return render_template("records/services.html",
                           groups=services.service_charges(shown_units()))
