"""The staff back office on the tenant host (/staff/…): routes only.

Every change goes through ``accounts.services`` / ``staff.services``; this module turns
their answers into pages, Polish messages and credentials letters (PDF, never stored).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from wtforms import SelectChoice

from iok_saas.extensions import db
from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.accounts.models import ACTIVE, BLOCKED, MUST_CHANGE, PENDING, REVOKED
from iok_saas.modules.accounts.search import search_people
from iok_saas.modules.accounts.services import AccountError, Credentials
from iok_saas.modules.audit.services import events_of
from iok_saas.modules.auth.guards import current_staff, staff_required
from iok_saas.modules.housing.models import Person
from iok_saas.modules.letters import (
    CredentialsEntry,
    LetterLayoutError,
    credentials_letters_pdf,
    letterhead_from_tenant,
)
from iok_saas.modules.notifications import services as notifications
from iok_saas.modules.notifications.models import StaffTask
from iok_saas.modules.portal.queues import queues_for
from iok_saas.modules.staff import services as staff_services
from iok_saas.tenancy import current_tenant, tenant_url
from iok_saas.timeutil import local, utcnow

from . import forms as F
from . import services

bp = Blueprint("backoffice", __name__, template_folder="templates")
bp.before_request(staff_required)

# Which actions the person page offers in each account state.
ISSUE_STATES = (PENDING, MUST_CHANGE, ACTIVE)
BLOCK_STATES = (PENDING, MUST_CHANGE, ACTIVE)
RESET_STATES = (MUST_CHANGE, ACTIVE)
CONTACT_CHANNELS = ("phone", "in_person", "written", "email")
BATCH_LIST_SHOWN = 200


@bp.context_processor
def _vocabulary() -> dict:
    return {
        "state_labels": F.STATE_LABELS, "trigger_labels": F.TRIGGER_LABELS,
        "channel_labels": F.CHANNEL_LABELS, "unblock_labels": F.UNBLOCK_LABELS,
        "recovery_labels": F.RECOVERY_LABELS, "title_labels": F.TITLE_LABELS,
        "action_labels": F.ACTION_LABELS, "role_labels": F.ROLE_LABELS,
    }


def _batch_available() -> bool:
    return current_tenant.policy.enrolment.manager_creates


def _actor() -> str:
    return f"staff:{current_staff().login}"


def _error_text(exc: AccountError) -> str:
    template = F.ACCOUNT_ERRORS.get(exc.code)
    if template is None:
        return _("Tej operacji nie można wykonać (%(code)s).", code=exc.code)
    deciding = current_tenant.policy.blocking.decided_by
    return str(template) % {"department": current_tenant.department_name(deciding),
                            "detail": exc.detail}


# --- dashboard and search ------------------------------------------------------------------

@bp.get("/")
def index():
    counts = services.account_counts()
    without = services.count_persons_without_account() if _batch_available() else None
    return render_template("backoffice/index.html", counts=counts, total=sum(counts.values()),
                           without_account=without, queues=queues_for(current_staff()),
                           now=utcnow())


@bp.get("/mieszkancy")
def residents():
    query = request.args.get("q", "").strip()[:200]
    result = search_people(query) if query else None
    return render_template("backoffice/residents.html", query=query, result=result)


# --- one person and their account ----------------------------------------------------------

def _person_or_404(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None:
        abort(404)
    return person


def _block_form(**kwargs) -> F.BlockForm:
    form = F.BlockForm(prefix="block", **kwargs)
    triggers = [rule.trigger for rule in current_tenant.policy.blocking.rules
                if rule.trigger != "failed_logins"]
    form.trigger.choices = [SelectChoice("", _("— wybierz —"))] + [
        SelectChoice(t, F.TRIGGER_LABELS.get(t, t)) for t in triggers]
    form.channel.choices = [SelectChoice("", _("— nie dotyczy —"))] + [
        SelectChoice(c, F.CHANNEL_LABELS[c]) for c in CONTACT_CHANNELS]
    return form


def _unblock_form(account, **kwargs) -> F.UnblockForm:
    form = F.UnblockForm(prefix="unblock", **kwargs)
    methods = accounts.staff_unblock_methods(account) \
        if account is not None and account.state == BLOCKED else ()
    form.method.choices = [SelectChoice(m, F.UNBLOCK_LABELS[m]) for m in methods]
    return form


def _reset_form(**kwargs) -> F.ResetForm:
    form = F.ResetForm(prefix="reset", **kwargs)
    form.method.choices = [SelectChoice(m, F.RECOVERY_LABELS[m])
                           for m in current_tenant.policy.recovery.staff_methods]
    return form


def _person_page(person: Person, status: int = 200, error: str | None = None, **bound):
    """The person page; ``bound`` replaces a blank form with the one just submitted."""
    account = services.account_of(person)
    member = current_staff()
    policy = current_tenant.policy
    blank = {
        "create_form": F.CreateAccountForm(formdata=None, prefix="create"),
        "issue_form": F.IssueCredentialsForm(formdata=None, prefix="issue"),
        "block_form": _block_form(formdata=None),
        "unblock_form": _unblock_form(account, formdata=None),
        "reset_form": _reset_form(formdata=None),
        "revoke_form": F.RevokeForm(formdata=None, prefix="revoke"),
        "lift_lock_form": F.LiftLockForm(formdata=None, prefix="lift"),
    }
    blank.update(bound)
    state = account.state if account else None
    context = {
        "person": person,
        "titles": services.titles_of(person),
        "today": services.today(),
        "account": account,
        "open_block": accounts.open_block(account) if account else None,
        "unblock_methods": accounts.unblock_methods(account) if state == BLOCKED else (),
        "events": events_of(account) if account else [],
        "may_decide": accounts.may_decide_blocks(member.department),
        "decided_by": current_tenant.department_name(policy.blocking.decided_by),
        "recovery": policy.recovery,
        "lost_channels": _lost_channels(),
        "can": {
            "create": account is None,
            "issue": state in ISSUE_STATES,
            "block": state in BLOCK_STATES,
            "unblock": state == BLOCKED,
            "reset": state in RESET_STATES and bool(policy.recovery.staff_methods),
            "revoke": account is not None and state != REVOKED,
            "lift_lock": account is not None and accounts.timed_lock_running(account),
        },
        "error": error,
        **blank,
    }
    return render_template("backoffice/person.html", **context), status


def _refused(person: Person, exc: AccountError, **bound):
    """The person page again with why the account service refused: 403 when the staff
    member's department may not decide, else 409 (the account's state forbids it)."""
    status = 403 if exc.code == "not_allowed" else 409
    return _person_page(person, status, _error_text(exc), **bound)


def _lost_channels() -> str:
    rule = current_tenant.policy.blocking.rule("reported_lost")
    channels = [c for c in CONTACT_CHANNELS if rule and c in rule.channels]
    return ", ".join(str(F.CHANNEL_LABELS[c]).lower() for c in channels)


@bp.get("/osoby/<int:person_id>")
def person(person_id: int):
    return _person_page(_person_or_404(person_id))


def _account_or_error(person: Person):
    account = services.account_of(person)
    if account is None:
        return None, _person_page(person, 409, _("Ta osoba nie ma jeszcze konta."))
    return account, None


@bp.post("/osoby/<int:person_id>/konto")
def create_account(person_id: int):
    person = _person_or_404(person_id)
    form = F.CreateAccountForm(prefix="create")
    if not form.validate_on_submit():
        return _person_page(person, 400, _("Formularz wygasł. Spróbuj ponownie."))
    try:
        account = accounts.create_account(person, actor=_actor())
    except AccountError as exc:
        return _person_page(person, 409, _error_text(exc))
    flash(_("Utworzono konto %(login)s. Wydaj teraz dane dostępowe.", login=account.login),
          "success")
    return redirect(url_for("backoffice.person", person_id=person.id))


@bp.post("/osoby/<int:person_id>/dane-dostepowe")
def issue_credentials(person_id: int):
    person = _person_or_404(person_id)
    account, page = _account_or_error(person)
    if page:
        return page
    form = F.IssueCredentialsForm(prefix="issue")
    if not form.validate_on_submit():
        return _person_page(person, 422, issue_form=form)
    if account.state not in ISSUE_STATES:
        message = (_error_text(AccountError("revoked")) if account.state == REVOKED else
                   _("Konto jest zablokowane — nowe dane wydaje się przy odblokowaniu."))
        return _person_page(person, 409, message, issue_form=form)
    try:
        issued = accounts.issue_credentials(account, _actor(), form.reason.data.strip())
    except AccountError as exc:
        return _person_page(person, 409, _error_text(exc), issue_form=form)
    return _letters_response([issued], f"dane-dostepowe-{issued.login}.pdf", person)


@bp.post("/osoby/<int:person_id>/blokada")
def block(person_id: int):
    person = _person_or_404(person_id)
    account, page = _account_or_error(person)
    if page:
        return page
    form = _block_form()
    if not form.validate_on_submit():
        return _person_page(person, 422, block_form=form)
    try:
        accounts.block(account, form.trigger.data, form.channel.data or None,
                       form.reason.data.strip(), current_staff())
    except AccountError as exc:
        return _refused(person, exc, block_form=form)
    flash(_("Konto %(login)s zostało zablokowane; sesje mieszkańca zakończono.",
            login=account.login), "success")
    return redirect(url_for("backoffice.person", person_id=person.id))


@bp.post("/osoby/<int:person_id>/odblokowanie")
def unblock(person_id: int):
    person = _person_or_404(person_id)
    account, page = _account_or_error(person)
    if page:
        return page
    form = _unblock_form(account)
    if not form.validate_on_submit():
        return _person_page(person, 422, unblock_form=form)
    evidence = (form.evidence.data or "").strip()
    offered = accounts.staff_unblock_methods(account) if account.state == BLOCKED else ()
    method = form.method.data or (offered[0] if offered else None)
    if method == "initial_document" and not evidence:
        form.evidence.errors.append(_("Podaj numer dokumentu z pisma okazanego przez "
                                      "mieszkańca."))
        return _person_page(person, 422, unblock_form=form)
    try:
        issued = accounts.unblock(account, current_staff(), evidence, method)
    except AccountError as exc:
        if exc.code == "document_mismatch":
            form.evidence.errors.append(_error_text(exc))
        return _refused(person, exc, unblock_form=form)
    if issued is not None:
        return _letters_response([issued], f"dane-dostepowe-{issued.login}.pdf", person)
    flash(_("Konto %(login)s zostało odblokowane.", login=account.login), "success")
    return redirect(url_for("backoffice.person", person_id=person.id))


@bp.post("/osoby/<int:person_id>/wstrzymanie")
def lift_lock(person_id: int):
    person = _person_or_404(person_id)
    account, page = _account_or_error(person)
    if page:
        return page
    form = F.LiftLockForm(prefix="lift")
    if not form.validate_on_submit():
        return _person_page(person, 422, lift_lock_form=form)
    try:
        accounts.lift_timed_lock(account, current_staff())
    except AccountError as exc:
        return _refused(person, exc)
    flash(_("Logowanie na konto %(login)s jest znów możliwe.", login=account.login), "success")
    return redirect(url_for("backoffice.person", person_id=person.id))


@bp.post("/osoby/<int:person_id>/odzyskanie")
def reset(person_id: int):
    person = _person_or_404(person_id)
    account, page = _account_or_error(person)
    if page:
        return page
    recovery = current_tenant.policy.recovery
    form = _reset_form()
    valid = form.validate_on_submit()
    evidence = (form.evidence.data or "").strip()
    method = form.method.data or (recovery.staff_methods[0] if recovery.staff_methods else None)
    if method == "initial_document" and not evidence:
        form.evidence.errors = [*form.evidence.errors,
                                _("Podaj numer dokumentu z pisma okazanego przez mieszkańca.")]
        valid = False
    if (recovery.identity_document and method in ("in_person", "initial_document")
            and not form.identity_checked.data):
        form.identity_checked.errors = [*form.identity_checked.errors,
                                        _("Potwierdź, że dokument tożsamości został "
                                          "sprawdzony.")]
        valid = False
    if not valid:
        return _person_page(person, 422, reset_form=form)
    if method is None:
        return _person_page(person, 409, _("Hasło odzyskuje się przez link e-mail; biuro nie "
                                           "wydaje nowych haseł."), reset_form=form)
    if account.state not in RESET_STATES:
        message = (_error_text(AccountError("revoked")) if account.state == REVOKED else
                   _("W tym stanie konta nie odzyskuje się hasła — użyj odpowiedniej "
                     "czynności powyżej."))
        return _person_page(person, 409, message, reset_form=form)
    try:
        issued = accounts.reset(account, current_staff(), form.request_note.data.strip(),
                                evidence, method)
    except AccountError as exc:
        if exc.code == "document_mismatch":
            form.evidence.errors = [*form.evidence.errors, _error_text(exc)]
        return _person_page(person, 409, _error_text(exc), reset_form=form)
    return _letters_response([issued], f"dane-dostepowe-{issued.login}.pdf", person)


@bp.post("/osoby/<int:person_id>/usuniecie")
def revoke(person_id: int):
    person = _person_or_404(person_id)
    account, page = _account_or_error(person)
    if page:
        return page
    form = F.RevokeForm(prefix="revoke")
    if not form.validate_on_submit():
        return _person_page(person, 422, revoke_form=form)
    try:
        accounts.revoke(account, f"staff:{current_staff().login}", form.reason.data.strip())
    except AccountError as exc:
        return _person_page(person, 409, _error_text(exc), revoke_form=form)
    flash(_("Dostęp do konta %(login)s został usunięty na stałe.", login=account.login),
          "success")
    return redirect(url_for("backoffice.person", person_id=person.id))


# --- credentials letters -------------------------------------------------------------------

def _entry(issued: Credentials) -> CredentialsEntry:
    account = issued.account
    units = tuple(dict.fromkeys(t.unit.label for t in accounts.current_titles(account)))
    return CredentialsEntry(
        full_name=account.person.full_name, login=issued.login,
        initial_password=issued.password, valid_until=local(issued.valid_until).date(),
        units=units, document_number=issued.letter_number)


def _letters_response(issued: list[Credentials], filename: str, person: Person | None):
    """The letters as a PDF download; the passwords exist only in this response."""
    letterhead = letterhead_from_tenant(
        current_tenant, portal_url=tenant_url("site.start").rstrip("/"))
    try:
        pdf = credentials_letters_pdf(letterhead, [_entry(c) for c in issued],
                                      accounts.password_rules_text(), utcnow())
    except LetterLayoutError:
        message = _("Dane dostępowe wydano, ale pismo nie mieści się na jednej stronie "
                    "(zbyt wiele lokali lub zasad hasła), więc nie powstało. Nowe hasło "
                    "nie zostało nikomu pokazane — zgłoś problem administratorowi platformy.")
        if person is not None:
            return _person_page(person, 500, message)
        flash(message, "error")
        return redirect(url_for("backoffice.index"))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
    })


# --- batch: the manager creates every account ----------------------------------------------

@bp.route("/konta/masowo", methods=["GET", "POST"])
def batch():
    if not _batch_available():
        abort(404)
    form = F.BatchForm()
    if request.method == "POST" and form.validate_on_submit():
        return _create_batch(services.persons_without_account(), form)
    return _batch_page(form, status=422 if request.method == "POST" else 200)


def _batch_page(form: F.BatchForm, status: int = 200, error: str | None = None):
    return render_template(
        "backoffice/batch.html", form=form, count=services.count_persons_without_account(),
        persons=services.persons_without_account(limit=BATCH_LIST_SHOWN), error=error), status


def _create_batch(persons: list[Person], form: F.BatchForm):
    actor = _actor()
    created = []
    for person in persons:
        try:
            created.append(accounts.create_account(person, actor=actor))
        except AccountError as exc:
            if exc.code == "account_exists":
                continue  # created meanwhile by a colleague: not in this batch
            message = _error_text(exc)
            if created:
                message += " " + _("Utworzone dotąd konta (%(count)s) czekają na wydanie "
                                   "danych na stronach osób.", count=len(created))
            return _batch_page(form, 409, message)
    if not created:
        flash(_("Wszystkie osoby z tytułem prawnym do lokalu mają już konta."), "info")
        return redirect(url_for("backoffice.batch"))
    issued = [accounts.issue_credentials(a, actor, "batch:manager_creates") for a in created]
    stamp = local(utcnow()).strftime("%Y%m%d-%H%M")
    return _letters_response(issued, f"dane-dostepowe-{stamp}.pdf", None)


# --- colleagues (staff administrators only) ------------------------------------------------

@bp.get("/zadania")
def tasks():
    """Calls to make and other work the platform queued: the member's department's (an
    administrator's: every one), or the department ``?dzial=`` names (the start page's
    queue links), which only that department or an administrator may mark done."""
    member = current_staff()
    chosen = request.args.get("dzial") or None
    if chosen is None and not member.is_admin:
        chosen = member.department
    return render_template("backoffice/tasks.html", department=chosen,
                           tasks=notifications.open_tasks(chosen),
                           may_complete=lambda task: notifications.may_complete(task, member))


@bp.post("/zadania/<int:task_id>/wykonane")
def task_done(task_id: int):
    if db.session.get(StaffTask, task_id) is None:  # another tenant's id finds nothing
        abort(404)
    if notifications.complete_task(task_id, current_staff()):
        flash(_("Zadanie oznaczone jako wykonane."), "success")
    else:
        flash(_("Tego zadania nie można zamknąć: jest już wykonane albo należy do innego "
                "działu."), "error")
    return redirect(url_for("backoffice.tasks"))


@bp.route("/pracownicy", methods=["GET", "POST"])
def staff():
    member = current_staff()
    if not member.is_admin:
        return render_template("backoffice/forbidden.html"), 403
    departments = current_tenant.info("departments", []) or []
    form = F.StaffForm()
    form.department.choices = [SelectChoice("", _("— wybierz —"))] + [
        SelectChoice(d["key"], d.get("name") or d["key"]) for d in departments]
    created = password = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                created, password = staff_services.create_staff(
                    member, form.login.data, form.full_name.data, form.email.data,
                    form.department.data, form.role.data)
            except staff_services.StaffError as exc:
                getattr(form, exc.field).errors.append(str(exc))
            else:
                status = 200
                fresh = F.StaffForm(formdata=None)
                fresh.department.choices = form.department.choices
                form = fresh
    response = Response(render_template(
        "backoffice/staff.html", form=form, colleagues=staff_services.list_staff(),
        created=created, password=password), status)
    if password:
        response.headers["Cache-Control"] = "no-store"
    return response
