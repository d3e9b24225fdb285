"""Staff desk of the contact feature (/staff/korekty-danych/…): routes only.

Everyone on the staff may look at the waiting requests; only the department the policy names
(``handled_by.contact_corrections``; any staff member when it names none) decides.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from iok_saas.modules.auth.guards import current_staff, staff_required
from iok_saas.modules.portal import desk_guard

from . import services
from .forms import ApplyForm, RejectForm
from .models import ContactCorrection

bp = Blueprint("contact_staff", __name__, template_folder="templates")
bp.before_request(staff_required)
bp.before_request(desk_guard("contact"))


@bp.context_processor
def _vocabulary() -> dict:
    return {"field_labels": services.FIELD_LABELS,
            "state_labels": services.STATE_LABELS, "changes": services.changes,
            "person_of": services.person_of,
            "handling_department": services.department_name()}


def _correction_or_404(correction_id: int) -> ContactCorrection:
    correction = services.get(correction_id)
    if correction is None:
        abort(404)
    return correction


def _apply_form(correction_id: int, **kwargs) -> ApplyForm:
    return ApplyForm(prefix=f"apply{correction_id}", **kwargs)


def _reject_form(correction_id: int, **kwargs) -> RejectForm:
    return RejectForm(prefix=f"reject{correction_id}", **kwargs)


def _desk(status: int = 200, posted=None):
    """The desk; ``posted`` is a form that failed validation, shown with its errors."""
    def form_for(kind: str, correction_id: int):
        make = _apply_form if kind == "apply" else _reject_form
        if posted is not None and posted._prefix == make(correction_id, formdata=None)._prefix:
            return posted
        return make(correction_id, formdata=None)

    return render_template("contact/staff_index.html", waiting=services.waiting(),
                           decided=services.recently_decided(),
                           may_act=services.may_act(current_staff()),
                           form_for=form_for), status


@bp.get("/")
def index():
    return _desk()


_ERRORS = {
    "decided": lambda: _("Ta prośba została już rozpatrzona."),
    "department": lambda: _("Prośby o korektę danych rozpatruje: %(department)s.",
                            department=services.department_name()),
}


def _refused(exc: services.ContactError):
    flash(_ERRORS[exc.code](), "error")
    return _desk(403 if exc.code == "department" else 409)


@bp.post("/<int:correction_id>/zastosuj")
def apply(correction_id: int):
    correction = _correction_or_404(correction_id)
    form = _apply_form(correction.id)
    if not form.validate_on_submit():
        return _desk(422, form)
    try:
        person = services.apply(correction, current_staff(), form.comment.data)
    except services.ContactError as exc:
        return _refused(exc)
    flash(_("Dane osoby %(name)s zostały zaktualizowane.", name=person.full_name), "success")
    return redirect(url_for("contact_staff.index"))


@bp.post("/<int:correction_id>/odrzuc")
def reject(correction_id: int):
    correction = _correction_or_404(correction_id)
    form = _reject_form(correction.id)
    if not form.validate_on_submit():
        return _desk(422, form)
    try:
        services.reject(correction, current_staff(), form.comment.data)
    except services.ContactError as exc:
        return _refused(exc)
    flash(_("Prośba została odrzucona; mieszkaniec otrzyma powiadomienie."), "success")
    return redirect(url_for("contact_staff.index"))
