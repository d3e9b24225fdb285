"""Resident-facing application pages (/wniosek…): routes only; rules live in services."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from iok_saas.extensions import limiter
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.tenancy import current_tenant

from . import services, tokens
from .forms import ApplicationForm, ConfirmForm, CorrectionForm, RevocationForm
from .paper_form import application_form_pdf, paper_channels
from .services import ApplicantData, EnrolmentError

bp = Blueprint("enrolment", __name__, template_folder="templates")

DONE_KEY = "iok_enrolment_done"
# Which fields an error code belongs to (shown beside it; the rest above the form).
FIELD_OF_ERROR = {"not_eligible": "applicant_type", "regulations": "accept_regulations",
                  "email_required": "email"}


def applicant_choices(form) -> None:
    form.applicant_type.choices = [SelectChoice("", _("— wybierz —"))] + [
        SelectChoice(t, str(services.APPLICANT_LABELS[t])) for t in services.eligible_types()]


def data_from(form, email: str | None) -> ApplicantData:
    return ApplicantData(
        first_name=form.first_name.data, last_name=form.last_name.data,
        applicant_type=form.applicant_type.data, street=form.street.data,
        building_number=form.building_number.data, flat_number=form.flat_number.data,
        city=form.city.data, phone=form.phone.data, email=email)


def place_error(form, exc: EnrolmentError) -> str | None:
    """Attach the refusal to its field; return it when it belongs to no field."""
    name = FIELD_OF_ERROR.get(exc.code)
    field = getattr(form, name, None) if name else None
    if field is None:
        return services.error_message(exc)
    field.errors = [*field.errors, services.error_message(exc)]
    return None


def _policy_steps() -> list[str]:
    return [str(services.STEP_LABELS[s]) for s in services.plan_for("electronic")
            if s in services.STEP_LABELS]


@bp.route("/wniosek", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def apply():
    if not services.electronic_form_open():
        abort(404)
    form = ApplicationForm()
    applicant_choices(form)
    requires_acceptance = current_tenant.policy.enrolment.accept_regulations_at_filing
    error = None
    if form.validate_on_submit():
        if requires_acceptance and not form.accept_regulations.data:
            form.accept_regulations.errors = [
                *form.accept_regulations.errors,
                services.error_message(EnrolmentError("regulations"))]
        else:
            try:
                application = services.submit(
                    data_from(form, form.email.data), "electronic", "applicant:web",
                    regulations_accepted=bool(form.accept_regulations.data))
            except EnrolmentError as exc:
                error = place_error(form, exc)
            else:
                session[DONE_KEY] = {"number": application.number,
                                     "state": application.state,
                                     "email": application.email}
                return redirect(url_for("enrolment.submitted"))
    status = 422 if request.method == "POST" else 200
    return render_template("enrolment/apply.html", form=form, error=error,
                           requires_acceptance=requires_acceptance, steps=_policy_steps(),
                           revocation_open=services.electronic_revocation_open()), status


@bp.get("/wniosek/wyslany")
def submitted():
    done = session.get(DONE_KEY)
    if not done:
        return redirect(url_for("enrolment.apply"))
    return render_template("enrolment/submitted.html", done=done,
                           pickup_place=services.pickup_place())


def _link_invalid():
    return render_template("enrolment/link_invalid.html"), 410


@bp.route("/wniosek/potwierdz/<token>", methods=["GET", "POST"])
@limiter.limit("20/minute", methods=["POST"])
def confirm(token: str):
    """GET shows a button (mail scanners that open links must not confirm); POST confirms."""
    try:
        application = tokens.application_for(token, tokens.CONFIRM)
    except tokens.LinkError:
        return _link_invalid()
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            application = services.confirm_email(token)
        except tokens.LinkError:
            return _link_invalid()
        except EnrolmentError as exc:
            return render_template("enrolment/confirm.html", form=form, application=application,
                                   error=services.error_message(exc)), 409
        return render_template("enrolment/confirmed.html", application=application,
                               next_state=application.state)
    return render_template("enrolment/confirm.html", form=form, application=application,
                           error=None)


@bp.route("/wniosek/poprawa/<token>", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def correct(token: str):
    try:
        application = tokens.application_for(token, tokens.CORRECT)
    except tokens.LinkError:
        return _link_invalid()
    form = CorrectionForm(obj=application if request.method == "GET" else None)
    applicant_choices(form)
    error = None
    if form.validate_on_submit():
        try:
            services.correct_from_link(token, data_from(form, None))
        except tokens.LinkError:
            return _link_invalid()
        except EnrolmentError as exc:
            error = place_error(form, exc)
        else:
            return render_template("enrolment/corrected.html", application=application)
    status = 422 if request.method == "POST" else 200
    return render_template("enrolment/correct.html", form=form, application=application,
                           error=error), status


@bp.route("/wniosek/rezygnacja", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def revocation():
    """A signed-in resident asks to block or remove their access (sale of the flat…)."""
    if not services.electronic_revocation_open():
        abort(404)
    account = current_user._get_current_object()
    if not isinstance(account, ResidentAccount):
        return redirect(url_for("accounts.login", next=request.path))
    form = RevocationForm()
    form.reason.choices = [SelectChoice(r, str(services.REASON_LABELS[r]))
                           for r in services.revocation_reasons()]
    form.choice.choices = [SelectChoice(c, str(services.CHOICE_LABELS[c]))
                           for c in services.revocation_choices()]
    if len(form.choice.choices) == 1 and not form.choice.data:
        form.choice.data = form.choice.choices[0].value
    pending = services.open_revocation(account)
    error = None
    if form.validate_on_submit():
        try:
            application = services.submit_revocation(
                account, "electronic", form.reason.data, form.choice.data, form.note.data,
                f"resident:{account.login}")
        except EnrolmentError as exc:
            error = services.error_message(exc)
        else:
            return render_template("enrolment/revocation_submitted.html",
                                   application=application)
    status = 422 if request.method == "POST" else 200
    return render_template("enrolment/revocation.html", form=form, error=error,
                           pending=pending), status


@bp.get("/wniosek/formularz.pdf")
def paper_form():
    """The printable application, where the policy takes applications on paper."""
    if not paper_channels():
        abort(404)
    return Response(application_form_pdf(), mimetype="application/pdf", headers={
        "Content-Disposition": 'inline; filename="wniosek-o-dostep.pdf"'})
