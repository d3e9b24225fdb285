from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from iok_saas.extensions import db, limiter
from iok_saas.modules.auth.forms import LoginForm, PasswordChangeForm
from iok_saas.modules.auth.guards import current_resident, resident_required
from iok_saas.modules.auth.sessions import end_current_session
from iok_saas.modules.mfa.flow import after_password
from iok_saas.modules.portal import home_panels, resident_tabs, resident_units, shown_units
from iok_saas.modules.security.services import note_wrong_password
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import utcnow

from . import services
from .email_change import (
    EmailChangeError,
    change_for_link,
    confirm_change,
    request_change,
    waiting_change,
)
from .forms import (
    ConfirmEmailChangeForm,
    EmailChangeForm,
    NewPasswordForm,
    RecoveryRequestForm,
    RegulationsForm,
    SelfBlockForm,
    UnlockForm,
)
from .recovery import (
    RecoveryLinkError,
    account_for_link,
    account_for_unlock_link,
    request_link,
    request_unlock_link,
)
from .services import LoginOutcome
from .wording import UNBLOCK_FOR_RESIDENTS

bp = Blueprint("accounts", __name__, template_folder="templates")


def _login_key() -> str:
    return f"{current_tenant.id}:{request.form.get('login', '').strip()}"


@bp.route("/logowanie", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
@limiter.limit("10/minute", methods=["POST"], key_func=_login_key)
def login():
    if current_resident() is not None:
        return redirect(url_for("accounts.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        result = services.authenticate(form.login.data, form.password.data, request.remote_addr)
        if result.outcome is LoginOutcome.OK:
            return after_password(result.account, url_for("accounts.dashboard"))
        if result.outcome is LoginOutcome.INVALID:
            note_wrong_password(services.find_by_login(form.login.data))
            db.session.commit()
        flash(_login_message(result), "error")
        if _awaits_email_link(result):
            return render_template("accounts/login.html", form=form,
                                   resend_link=url_for("activation.resend")), 200
        if result.unblock_methods:
            return render_template("accounts/login.html", form=form,
                                   unblock_ways=_unblock_ways(result.unblock_methods)), 200
    return render_template("accounts/login.html", form=form), 200 if not form.errors else 422


def _unblock_ways(methods: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """(what to do, link or None) for each unblock method the policy offers here."""
    links = {"email_link": url_for("accounts.unlock_request")}
    return [(str(UNBLOCK_FOR_RESIDENTS[m]), links.get(m)) for m in methods]


def _lock_end(until) -> str:
    """'14:35' when the lock ends today (Warsaw), else '04.12.2026 14:35'."""
    if format_datetime(until, "yyyy-MM-dd") == format_datetime(utcnow(), "yyyy-MM-dd"):
        return format_datetime(until, "HH:mm")
    return format_datetime(until, "dd.MM.yyyy HH:mm")


def _awaits_email_link(result: services.LoginResult) -> bool:
    """Registered with an activation code (the resident chose this password, so the
    account is pending only for its e-mail address's link)."""
    return result.outcome is LoginOutcome.NOT_READY and bool(result.account.password_changed_at)


def _login_message(result: services.LoginResult) -> str:
    if _awaits_email_link(result):
        return _("Konto czeka na potwierdzenie adresu e-mail odnośnikiem z wiadomości.")
    if result.outcome is LoginOutcome.LOCKED:
        return _("Zbyt wiele nieudanych prób logowania. Konto jest zablokowane do "
                 "%(time)s.", time=_lock_end(result.locked_until))
    messages = {
        LoginOutcome.INVALID: _("Nieprawidłowy identyfikator lub hasło."),
        LoginOutcome.BLOCKED: _("Konto jest zablokowane."),
        LoginOutcome.NOT_YET: _("Dane dostępowe działają od następnego dnia po ich wydaniu. "
                                "Zaloguj się jutro."),
        LoginOutcome.REVOKED: _("Dostęp do tego konta został wyłączony."),
        LoginOutcome.NOT_READY: _("Konto nie jest jeszcze aktywne — odbierz dane dostępowe "
                                  "w biurze."),
        LoginOutcome.EXPIRED: _("Hasło początkowe wygasło. Skontaktuj się z biurem, aby "
                                "otrzymać nowe."),
    }
    return messages[result.outcome]


@bp.post("/wyloguj")
def logout():
    end_current_session("logout")
    flash(_("Wylogowano."), "success")
    return redirect(url_for("site.start"))


@bp.route("/pierwsze-logowanie", methods=["GET", "POST"])
@resident_required
def first_login():
    account = current_user
    steps = services.pending_first_login_steps(account)
    if not steps:
        return redirect(url_for("accounts.dashboard"))
    password_form = PasswordChangeForm(prefix="pw")
    regulations_form = RegulationsForm(prefix="reg")
    errors: list[str] = []
    if "password" in steps and password_form.submit.data and password_form.validate():
        errors = _change_password(account, password_form)
        if not errors:
            flash(_("Hasło zostało zmienione."), "success")
            return redirect(url_for("accounts.first_login"))
    elif "password" in steps and password_form.submit.data:
        errors = _rules_broken_too(account, password_form)
    elif steps == ["regulations"] and regulations_form.submit.data \
            and regulations_form.validate():
        services.accept_regulations(account)
        flash(_("Dziękujemy. Regulamin został zaakceptowany."), "success")
        return redirect(url_for("accounts.dashboard"))
    return render_template("accounts/first_login.html", steps=steps, errors=errors,
                           password_form=password_form, regulations_form=regulations_form,
                           rules=services.password_rules_text())


def _rules_broken_too(account, form: PasswordChangeForm) -> list[str]:
    """A form refused for another reason (the repeat differs, a field is empty) still names
    every rule of the tenant the new password breaks, so the next try can fix it all."""
    if form.new.data and not form.new.errors:
        return services.password_problems(account, form.new.data)
    return []


def _change_password(account, form: PasswordChangeForm) -> list[str]:
    problems = services.change_password(account, form.current.data, form.new.data)
    if problems == ["current_password"]:
        form.current.errors.append(_("Obecne hasło jest nieprawidłowe."))
        return [_("Obecne hasło jest nieprawidłowe.")]
    return problems


@bp.get("/konto")
@resident_required
def dashboard():
    """The resident's start page: the Home panels (of the chosen flat) where the policy has
    a Home page, else the units and the tenant's tabs; the account's security and
    personal-data links always."""
    units = resident_units()
    panels = home_panels(current_user.person_id, shown_units()) \
        if "home" in current_tenant.policy.navigation else None
    return render_template("accounts/dashboard.html", account=current_user, units=units,
                           panels=panels, tabs=resident_tabs())


@bp.route("/konto/haslo", methods=["GET", "POST"])
@resident_required
def change_password():
    form = PasswordChangeForm()
    errors: list[str] = []
    if form.validate_on_submit():
        errors = _change_password(current_user, form)
        if not errors:
            flash(_("Hasło zostało zmienione. Inne sesje tego konta zostały zakończone."),
                  "success")
            return redirect(url_for("accounts.dashboard"))
    elif form.is_submitted():
        errors = _rules_broken_too(current_user, form)
    return render_template("accounts/change_password.html", form=form, errors=errors,
                           rules=services.password_rules_text())


def _account_key() -> str:
    return f"{current_tenant.id}:{current_user.get_id()}"


@bp.route("/konto/email", methods=["GET", "POST"])
@resident_required
@limiter.limit("10/hour", methods=["POST"], key_func=_account_key)
def change_email():
    """Ask for a new e-mail address: the current password again; the link goes to the new
    address, the old one is told."""
    account = current_user._get_current_object()
    form = EmailChangeForm()
    if form.validate_on_submit():
        try:
            request_change(account, form.password.data, form.new_email.data)
        except EmailChangeError as exc:
            _email_change_error(form, exc.code)
        else:
            flash(_("Wysłaliśmy odnośnik na adres %(email)s. Adres zmieni się, gdy go "
                    "otworzysz.", email=form.new_email.data), "success")
            return redirect(url_for("security.index"))
    return render_template("accounts/change_email.html", form=form, account=account,
                           waiting=waiting_change(account)), 422 if form.errors else 200


def _email_change_error(form: EmailChangeForm, code: str) -> None:
    if code == "password":
        form.password.errors.append(_("Obecne hasło jest nieprawidłowe."))
    else:
        form.new_email.errors.append(_("To jest Twój obecny adres e-mail."))


@bp.route("/konto/email/<token>", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def confirm_email_change(token: str):
    """The link from the new address's e-mail; works signed in or not. Opening it only
    shows what will change (mail scanners open links too); the button changes it."""
    try:
        change, account = change_for_link(token)
    except EmailChangeError:
        return render_template("accounts/email_change_invalid.html"), 410
    form = ConfirmEmailChangeForm()
    if form.validate_on_submit():
        confirm_change(change, account)
        flash(_("Adres e-mail został zmieniony na %(email)s.", email=change.new_email),
              "success")
        signed_in = current_resident() is not None
        return redirect(url_for("security.index" if signed_in else "accounts.login"))
    return render_template("accounts/confirm_email_change.html", form=form, change=change)


@bp.route("/konto/zablokuj", methods=["GET", "POST"])
@resident_required
def self_block():
    if not current_tenant.policy.blocking.self_block:
        abort(404)
    form = SelfBlockForm()
    if form.validate_on_submit():
        services.self_block(current_user, form.reason.data or "")
        end_current_session("self_block")
        flash(_("Konto zostało zablokowane. Aby odzyskać dostęp, skontaktuj się z biurem."),
              "success")
        return redirect(url_for("site.start"))
    return render_template("accounts/self_block.html", form=form)


@bp.route("/nie-pamietam-hasla", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def forgot_password():
    """What to do when the password is lost, as the tenant's policy says; for e-mail
    recovery, the form that sends the link."""
    recovery = current_tenant.policy.recovery
    form = RecoveryRequestForm() if recovery.offers("email") else None
    if form is not None and form.validate_on_submit():
        request_link(form.login.data, form.email.data)
        flash(_("Jeśli identyfikator i adres e-mail pasują do konta, wysłaliśmy na ten adres "
                "odnośnik do ustawienia nowego hasła."), "success")
        return redirect(url_for("accounts.login"))
    department = current_tenant.department(recovery.department) if recovery.department else None
    return render_template("accounts/forgot_password.html", recovery=recovery, form=form,
                           department=department)


@bp.route("/odblokuj", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def unlock_request():
    """Ask for an unlock link by e-mail (where the failed_logins rule offers email_link)."""
    if not current_tenant.policy.blocking.unlock_by_email:
        abort(404)
    form = RecoveryRequestForm()
    if form.validate_on_submit():
        request_unlock_link(form.login.data, form.email.data)
        flash(_("Jeśli identyfikator i adres e-mail pasują do zablokowanego konta, wysłaliśmy "
                "na ten adres odnośnik do odblokowania."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/unlock_request.html", form=form)


@bp.route("/odblokuj/<token>", methods=["GET", "POST"])
def unlock(token: str):
    policy = current_tenant.policy
    if not policy.blocking.unlock_by_email:
        abort(404)
    try:
        account = account_for_unlock_link(token)
    except RecoveryLinkError:
        return render_template("accounts/recovery_link_invalid.html"), 410
    new_password = policy.blocking.unlock_link.new_password
    form = NewPasswordForm() if new_password else UnlockForm()
    errors: list[str] = []
    if form.validate_on_submit():
        errors = services.unlock_from_link(account, form.new.data if new_password else None)
        if not errors:
            flash(_("Konto zostało odblokowane. Możesz się zalogować."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/unlock.html", form=form, errors=errors,
                           new_password=new_password,
                           rules=services.password_rules_text() if new_password else [])


@bp.route("/nowe-haslo/<token>", methods=["GET", "POST"])
def recover(token: str):
    if not current_tenant.policy.recovery.offers("email"):
        abort(404)
    try:
        account = account_for_link(token)
    except RecoveryLinkError:
        return render_template("accounts/recovery_link_invalid.html"), 410
    form = NewPasswordForm()
    errors: list[str] = []
    if form.validate_on_submit():
        errors = services.set_password_from_link(account, form.new.data)
        if not errors:
            flash(_("Nowe hasło zostało ustawione. Możesz się zalogować."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/recover.html", form=form, errors=errors,
                           rules=services.password_rules_text())
