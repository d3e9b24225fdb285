"""Resident pages of the contact feature: routes only (logic in services.py and export.py).

The data export (GDPR art. 15, right of access) is open to every signed-in resident of every
tenant — it is a right the law gives, not a feature a cooperative may switch off — so those
two routes use ``resident_required`` rather than ``tab_required("contact")``.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from iok_saas.extensions import db
from iok_saas.modules.auth.guards import resident_required
from iok_saas.modules.housing.export import titles_of
from iok_saas.modules.housing.labels import TITLE_LABELS
from iok_saas.modules.portal import tab_required
from iok_saas.timeutil import warsaw_today

from . import export, services
from .forms import CorrectionForm

bp = Blueprint("contact", __name__, template_folder="templates")


@bp.context_processor
def _vocabulary() -> dict:
    return {"field_labels": services.FIELD_LABELS, "state_labels": services.STATE_LABELS,
            "title_labels": TITLE_LABELS, "changes": services.changes,
            "today": warsaw_today()}


def _account():
    """The signed-in resident's account itself (not the proxy: audit rows name its type)."""
    return current_user._get_current_object()


@bp.get("/")
@tab_required("contact")
def index():
    account = _account()
    return render_template("contact/index.html", person=account.person,
                           titles=titles_of(account.person),
                           corrections=services.corrections_of(account))


@bp.route("/korekta", methods=["GET", "POST"])
@tab_required("contact")
def correct():
    account = _account()
    person = account.person
    form = CorrectionForm(data={"email": person.email, "phone": person.phone,
                                "correspondence_address": person.correspondence_address})
    nothing = False
    if form.validate_on_submit():
        try:
            services.request_correction(
                account, email=form.email.data, phone=form.phone.data,
                correspondence_address=form.correspondence_address.data, note=form.note.data)
        except services.NothingToCorrect:
            nothing = True
        else:
            flash(_("Prośba o korektę danych została wysłana. Powiadomimy Cię o decyzji."),
                  "success")
            return redirect(url_for("contact.index"))
    status = 422 if form.errors or nothing else 200
    return render_template("contact/correct.html", form=form, person=person,
                           nothing=nothing), status


@bp.get("/eksport.json")
@resident_required
def export_json():
    body = export.as_json(export.personal_data(_account(), fmt="json").data)
    db.session.commit()  # the audit row of the download
    return _download(body, "application/json; charset=utf-8", "json")


@bp.get("/eksport.pdf")
@resident_required
def export_pdf():
    body = export.as_pdf(export.personal_data(_account(), fmt="pdf"))
    db.session.commit()  # the audit row of the download
    return _download(body, "application/pdf", "pdf")


def _download(body: bytes, mimetype: str, extension: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = \
        f'attachment; filename="moje-dane.{extension}"'
    response.headers["Cache-Control"] = "no-store"
    return response
