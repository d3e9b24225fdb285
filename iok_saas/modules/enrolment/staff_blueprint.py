"""The staff queue of applications (/staff/wnioski/…): routes only.

Every change goes through ``enrolment.services``; this module turns its answers into pages,
Polish messages and the credentials letter (PDF, never stored).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.accounts.labels import STATE_LABELS as ACCOUNT_STATE_LABELS
from iok_saas.modules.accounts.services import Credentials
from iok_saas.modules.audit.services import events_of
from iok_saas.modules.auth.guards import current_staff, staff_required
from iok_saas.modules.backoffice.services import search_people
from iok_saas.modules.letters import (
    CredentialsEntry,
    LetterLayoutError,
    credentials_letters_pdf,
    letterhead_from_tenant,
)
from iok_saas.tenancy import current_tenant, tenant_url
from iok_saas.timeutil import local, utcnow

from . import forms as F
from . import services
from .blueprint import applicant_choices, data_from, place_error
from .models import ACCESS, CORRECTION, REVOCATION, REVOCATION_REVIEW, Application
from .services import EnrolmentError

bp = Blueprint("enrolment_staff", __name__, template_folder="templates")
bp.before_request(staff_required)

SEARCH_SHOWN = 20


@bp.context_processor
def _vocabulary() -> dict:
    return {
        "state_labels": services.STATE_LABELS,
        "step_labels": services.STEP_LABELS,
        "channel_labels": services.CHANNEL_LABELS,
        "applicant_labels": services.APPLICANT_LABELS,
        "reason_labels": services.REASON_LABELS,
        "choice_labels": services.CHOICE_LABELS,
        "document_labels": services.DOCUMENT_LABELS,
        "kind_labels": services.KIND_LABELS,
        "action_labels": services.ACTION_LABELS,
        "account_state_labels": ACCOUNT_STATE_LABELS,
        "ageing": services.ageing_text,
        "office_entry": bool(services.office_channels()),
        "office_revocation": bool(services.office_revocation_channels()),
    }


def _actor() -> str:
    return f"staff:{current_staff().login}"


def _version(form) -> int:
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return -1


def _application_or_404(application_id: int) -> Application:
    application = services.get(application_id)
    if application is None:
        abort(404)
    return application


def _acting_step(application: Application) -> str:
    return "staff_review" if application.state == CORRECTION else application.state


# --- the queue -----------------------------------------------------------------------------

@bp.get("/")
def queue():
    state = request.args.get("stan") or None
    if state and state not in services.STATE_LABELS:
        state = None
    counts = services.counts_by_state()
    return render_template("enrolment/staff_queue.html", applications=services.queue(state),
                           counts=counts, state=state, today=services.today(),
                           acting=_acting_department)


def _acting_department(application: Application) -> str | None:
    return services.department_for(_acting_step(application))


@bp.get("/odbior")
def pickup_desk():
    member = current_staff()
    return render_template("enrolment/staff_pickup.html",
                           applications=services.queue("in_person_pickup"),
                           may_act=services.may_act(member, "in_person_pickup"),
                           department=services.department_for("in_person_pickup"))


# --- entry of paper / in-person applications ----------------------------------------------

def _office_form() -> F.OfficeApplicationForm:
    form = F.OfficeApplicationForm()
    applicant_choices(form)
    form.channel.choices = [SelectChoice("", _("— wybierz —"))] + [
        SelectChoice(c, str(services.CHANNEL_LABELS[c])) for c in services.office_channels()]
    return form


@bp.route("/nowy", methods=["GET", "POST"])
def new_application():
    if not services.office_channels():
        abort(404)
    member = current_staff()
    form = _office_form()
    requires_acceptance = current_tenant.policy.enrolment.accept_regulations_at_filing
    may_file = services.may_act(member, "filing")
    error = None
    if request.method == "POST" and not may_file:
        error = services.error_message(
            EnrolmentError("department", services.department_for("filing") or ""))
    elif form.validate_on_submit():
        try:
            application = services.submit(
                data_from(form, form.email.data or None), form.channel.data, _actor(),
                regulations_accepted=bool(form.regulations_signed.data), entered_by=_actor())
        except EnrolmentError as exc:
            if exc.code == "regulations":
                form.regulations_signed.errors = [*form.regulations_signed.errors,
                                                  services.error_message(exc)]
            else:
                error = place_error(form, exc)
        else:
            flash(_("Zarejestrowano wniosek %(number)s.", number=application.number), "success")
            return redirect(url_for("enrolment_staff.detail", application_id=application.id))
    status = 422 if request.method == "POST" else 200
    if error and not may_file:
        status = 403
    return render_template("enrolment/staff_new.html", form=form, error=error,
                           requires_acceptance=requires_acceptance, may_file=may_file,
                           filed_with=services.department_for("filing")), status


@bp.route("/rezygnacja", methods=["GET", "POST"])
def new_revocation():
    channels = services.office_revocation_channels()
    if not channels:
        abort(404)
    member = current_staff()
    form = F.OfficeRevocationForm()
    form.channel.choices = [SelectChoice(c, str(services.CHANNEL_LABELS[c])) for c in channels]
    form.reason.choices = [SelectChoice("", _("— wybierz —"))] + [
        SelectChoice(r, str(services.REASON_LABELS[r])) for r in services.revocation_reasons()]
    form.choice.choices = [SelectChoice(c, str(services.CHOICE_LABELS[c]))
                           for c in services.revocation_choices()]
    may_file = services.may_act(member, "revocation_filing")
    error = None
    status = 200
    if request.method == "POST":
        status = 422
        if not may_file:
            status, error = 403, services.error_message(EnrolmentError(
                "department", services.department_for("revocation_filing") or ""))
        elif form.validate_on_submit():
            try:
                application = services.submit_revocation(
                    services.find_account(form.login.data), form.channel.data,
                    form.reason.data, form.choice.data, form.note.data, _actor(),
                    entered_by=_actor())
            except EnrolmentError as exc:
                if exc.code == "account_required":
                    form.login.errors = [*form.login.errors, services.error_message(exc)]
                else:
                    error = services.error_message(exc)
            else:
                flash(_("Zarejestrowano wniosek %(number)s.", number=application.number),
                      "success")
                return redirect(url_for("enrolment_staff.detail",
                                        application_id=application.id))
    return render_template("enrolment/staff_new_revocation.html", form=form, error=error,
                           may_file=may_file,
                           handled_by=services.department_for("revocation_filing")), status


# --- one application --------------------------------------------------------------------------

def _pickup_form(bound: bool) -> F.PickupForm:
    form = F.PickupForm(prefix="pickup") if bound else F.PickupForm(formdata=None,
                                                                    prefix="pickup")
    form.document_type.choices = [SelectChoice("", _("— wybierz —"))] + [
        SelectChoice(d, str(services.DOCUMENT_LABELS[d])) for d in services.IDENTITY_DOCUMENTS]
    return form


def _correction_form(application: Application, bound: bool) -> F.CorrectionForm:
    form = F.CorrectionForm(prefix="fix") if bound else F.CorrectionForm(
        formdata=None, obj=application, prefix="fix")
    applicant_choices(form)
    return form


def _page(application: Application, status: int = 200, error: str | None = None, **bound):
    """The application page; ``bound`` replaces a blank form with the one just submitted."""
    member = current_staff()
    step = _acting_step(application)
    query = request.args.get("q", "").strip()[:200]
    extra = [row.person.id for row in search_people(query, SEARCH_SHOWN).rows] if query else []
    show_candidates = application.kind == ACCESS and (
        application.state in ("staff_review", CORRECTION)
        or (application.state == "in_person_pickup" and services.pickup_needs_person(
            application)))
    none = {"formdata": None}
    forms = {
        "approve_form": F.ApproveForm(prefix="approve", **none),
        "reject_form": F.RejectForm(prefix="reject", **none),
        "correction_form": F.CorrectionRequestForm(prefix="ask", **none),
        "fix_form": _correction_form(application, bound=False),
        "schedule_form": F.ScheduleForm(prefix="schedule", place=services.pickup_place(),
                                        **none),
        "pickup_form": _pickup_form(bound=False),
        "decision_form": F.DecisionForm(prefix="decide", **none),
    }
    forms.update(bound)
    for form in forms.values():   # every form acts on the state shown on this page
        form.version.data = str(application.version)
    state = application.state
    context = {
        "application": application,
        "account": services.account_of(application),
        "events": events_of(application),
        "plan": list(application.plan),
        "done": services.steps_done(application),
        "may_act": services.may_act(member, step),
        "acting_department": services.department_for(step),
        "candidates": services.candidates(application, extra) if show_candidates else [],
        "query": query,
        "can": {
            "review": state == "staff_review",
            "refuse": (state in ("staff_review", CORRECTION) and application.kind == ACCESS
                       and current_tenant.policy.enrolment.review.may_refuse),
            "fix": state == CORRECTION,
            "pickup": state == "in_person_pickup",
            "pickup_person": state == "in_person_pickup" and services.pickup_needs_person(
                application),
            "revocation": state == REVOCATION_REVIEW,
        },
        "pickup_rules": current_tenant.policy.enrolment.pickup,
        "error": error,
        **forms,
    }
    return render_template("enrolment/staff_detail.html", **context), status


@bp.get("/<int:application_id>")
def detail(application_id: int):
    return _page(_application_or_404(application_id))


def _refused(application: Application, exc: EnrolmentError, **bound):
    status = 403 if exc.code == "department" else 409
    return _page(application, status, services.error_message(exc), **bound)


def _done(application: Application, message: str):
    flash(message, "success")
    return redirect(url_for("enrolment_staff.detail", application_id=application.id))


@bp.post("/<int:application_id>/zatwierdz")
def approve(application_id: int):
    application = _application_or_404(application_id)
    form = F.ApproveForm(prefix="approve")
    if not form.validate_on_submit():
        return _page(application, 422, approve_form=form)
    try:
        account = services.approve(application, form.person_id.data, current_staff(),
                                   _version(form))
    except EnrolmentError as exc:
        return _refused(application, exc, approve_form=form)
    return _done(application, _("Wniosek zatwierdzony; utworzono konto %(login)s.",
                                login=account.login))


@bp.post("/<int:application_id>/odrzuc")
def reject(application_id: int):
    application = _application_or_404(application_id)
    form = F.RejectForm(prefix="reject")
    if not form.validate_on_submit():
        return _page(application, 422, reject_form=form)
    try:
        services.reject(application, form.reason.data, current_staff(), _version(form))
    except EnrolmentError as exc:
        return _refused(application, exc, reject_form=form)
    return _done(application, _("Wniosek odrzucony; wnioskodawca otrzyma powód."))


@bp.post("/<int:application_id>/do-poprawy")
def ask_correction(application_id: int):
    application = _application_or_404(application_id)
    form = F.CorrectionRequestForm(prefix="ask")
    if not form.validate_on_submit():
        return _page(application, 422, correction_form=form)
    try:
        services.request_correction(application, form.note.data, current_staff(),
                                    _version(form))
    except EnrolmentError as exc:
        return _refused(application, exc, correction_form=form)
    return _done(application, _("Wysłano prośbę o poprawienie wniosku."))


@bp.post("/<int:application_id>/poprawa")
def enter_correction(application_id: int):
    application = _application_or_404(application_id)
    form = _correction_form(application, bound=True)
    if not form.validate_on_submit():
        return _page(application, 422, fix_form=form)
    try:
        services.correct_by_staff(application, data_from(form, None), current_staff(),
                                  _version(form))
    except EnrolmentError as exc:
        message = place_error(form, exc)
        if message is None:
            return _page(application, 422, fix_form=form)
        return _refused(application, exc, fix_form=form)
    return _done(application, _("Poprawki zapisane; wniosek wrócił do sprawdzenia."))


@bp.post("/<int:application_id>/termin")
def schedule(application_id: int):
    application = _application_or_404(application_id)
    form = F.ScheduleForm(prefix="schedule")
    if not form.validate_on_submit():
        return _page(application, 422, schedule_form=form)
    try:
        services.schedule_pickup(application, form.when.data, form.place.data,
                                 current_staff(), _version(form))
    except EnrolmentError as exc:
        return _refused(application, exc, schedule_form=form)
    return _done(application, _("Wysłano termin odbioru."))


@bp.post("/<int:application_id>/odbior")
def pickup(application_id: int):
    application = _application_or_404(application_id)
    form = _pickup_form(bound=True)
    if not form.validate_on_submit():
        return _page(application, 422, pickup_form=form)
    try:
        issued = services.record_pickup(
            application, current_staff(), _version(form),
            document_type=form.document_type.data or None,
            identity_checked=bool(form.identity_checked.data),
            receipt_signed=bool(form.receipt_signed.data),
            application_signed=bool(form.application_signed.data),
            person_id=form.person_id.data)
    except EnrolmentError as exc:
        field = {"identity_document": form.identity_checked,
                 "signed_receipt": form.receipt_signed,
                 "signed_application": form.application_signed,
                 "person_required": form.person_id}.get(exc.code)
        if field is not None:
            field.errors = [*field.errors, services.error_message(exc)]
            return _page(application, 422, pickup_form=form)
        return _refused(application, exc, pickup_form=form)
    return _letter_response(issued, application)


@bp.post("/<int:application_id>/rezygnacja")
def decide_revocation(application_id: int):
    application = _application_or_404(application_id)
    if application.kind != REVOCATION:
        abort(404)
    form = F.DecisionForm(prefix="decide")
    if not form.validate_on_submit():
        return _page(application, 422, decision_form=form)
    try:
        services.approve_revocation(application, current_staff(), _version(form))
    except EnrolmentError as exc:
        return _refused(application, exc, decision_form=form)
    return _done(application, _("Wniosek wykonany."))


# --- the credentials letter ------------------------------------------------------------------

def _letter_response(issued: Credentials, application: Application):
    """The letter as a PDF download; the password exists only in this response."""
    account = issued.account
    units = tuple(dict.fromkeys(t.unit.label for t in accounts.current_titles(account)))
    entry = CredentialsEntry(
        full_name=account.person.full_name, login=issued.login,
        initial_password=issued.password, valid_until=local(issued.valid_until).date(),
        units=units, document_number=issued.letter_number)
    letterhead = letterhead_from_tenant(
        current_tenant, portal_url=tenant_url("site.start").rstrip("/"))
    try:
        pdf = credentials_letters_pdf(letterhead, [entry], accounts.password_rules_text(),
                                      utcnow())
    except LetterLayoutError:
        return _page(application, 500, _(
            "Dane dostępowe wydano, ale pismo nie mieści się na jednej stronie, więc nie "
            "powstało. Nowe hasło nie zostało nikomu pokazane — wydaj dane ponownie na "
            "stronie mieszkańca i zgłoś problem administratorowi platformy."))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="dane-dostepowe-{issued.login}.pdf"',
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
    })
