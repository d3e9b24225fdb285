"""Resident pages of the meters feature: routes only (logic in services.py)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from iok_saas.modules.portal import remember_unit, shown_units, tab_required
from iok_saas.tenancy import current_tenant

from . import services
from .forms import ReadingForm

bp = Blueprint("meters", __name__, template_folder="templates")


@bp.context_processor
def _vocabulary() -> dict:
    return {"m3": services.m3, "kind_label": services.kind_label,
            "state_label": services.state_label, "source_labels": services.SOURCE_LABELS}


@bp.get("/")
@tab_required("water_meters")
def index():
    """The chosen flat's meters with their reading history and a consumption chart;
    ``?lokal=<id>`` (one of the resident's units) switches to that flat."""
    unit_id = request.args.get("lokal", type=int)
    if "lokal" in request.args and unit_id is None:
        abort(404)
    units = [remember_unit(unit_id)] if unit_id is not None else shown_units()
    return render_template("meters/index.html", units=[
        (unit, [(meter, services.history(meter), services.chart(meter))
                for meter in services.meters_of(unit)])
        for unit in units], may_submit=_submission_shown())


@bp.get("/<int:meter_id>")
@tab_required("water_meters")
def meter(meter_id: int):
    meter = services.resident_meter_or_404(meter_id)
    unit = remember_unit(meter.unit_id)
    return render_template("meters/meter.html", unit=unit, meter=meter,
                           rows=services.history(meter), chart=services.chart(meter),
                           may_submit=_submission_shown())


def _submission_shown() -> bool:
    return current_tenant.policy.shows("meter_submission")


@bp.route("/odczyt", methods=["GET", "POST"])
@tab_required("meter_submission")
def submit():
    pairs = _shown_pairs(services.resident_meters(for_submission=True))
    form = ReadingForm()
    form.meter.choices = [SelectChoice(meter.id, _meter_choice(unit, meter))
                          for unit, meter in pairs]
    chosen = _chosen_meter(form, pairs)
    if request.method == "GET":
        form.read_on.data = form.read_on.data or services.today()
        if chosen is not None:
            form.meter.data = chosen.id
    warning = None
    if form.validate_on_submit() and chosen is not None:
        try:
            services.submit_reading(current_user, chosen, form.read_on.data, form.value.data,
                                    bool(form.confirm.data))
        except services.ConfirmationNeeded as exc:
            warning = exc.message
        except services.ReadingError as exc:
            getattr(form, exc.field or "value").errors.append(exc.message)
        else:
            flash(_("Odczyt został wysłany. Spółdzielnia go sprawdzi; decyzję zobaczysz "
                    "w historii odczytów."), "success")
            return redirect(url_for("meters.index"))
    last = services.last_accepted(chosen) if chosen is not None else None
    pending = services.pending_of(chosen) if chosen is not None else None
    return render_template("meters/submit.html", form=form, warning=warning, chosen=chosen,
                           last=last, pending=pending, has_meters=bool(pairs),
                           department=services.handling_department())


def _shown_pairs(pairs):
    """The chosen flat's meters; a meter of another of the resident's flats named by the
    request (a link from the meters page) switches to that flat first."""
    raw = request.form.get("meter") if request.method == "POST" else request.args.get("licznik")
    named = next((unit for unit, meter in pairs if str(meter.id) == raw), None)
    if named is not None:
        remember_unit(named.id)
    shown = {unit.id for unit in shown_units()}
    return [(unit, meter) for unit, meter in pairs if unit.id in shown]


def _meter_choice(unit, meter) -> str:
    return f"{meter.serial_number} — {services.kind_label(meter.kind)}" + \
        (f", {meter.location}" if meter.location else "") + f" ({unit.label})"


def _chosen_meter(form: ReadingForm, pairs):
    """The meter named by the form (POST) or ``?licznik=`` (GET); not the resident's: 404."""
    raw = request.form.get("meter") if request.method == "POST" else request.args.get("licznik")
    if raw in (None, ""):
        return pairs[0][1] if len(pairs) == 1 else None
    try:
        meter_id = int(raw)
    except ValueError:
        abort(404)
    meter = next((m for _unit, m in pairs if m.id == meter_id), None)
    if meter is None:
        abort(404)
    return meter
